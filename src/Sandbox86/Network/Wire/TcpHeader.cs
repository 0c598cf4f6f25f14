using System.Buffers.Binary;

namespace Sandbox86.Network.Wire;

/// <summary>TCP header (RFC 9293) with options and the IPv4 pseudo-header checksum.</summary>
internal readonly record struct TcpHeader(ushort SourcePort, ushort DestinationPort, uint Sequence, uint Acknowledgment,
    TcpFlags Flags, ushort Window, TcpOptions Options)
{
    public const int MinLength = 20;

    public int HeaderLength => MinLength + Options.Length;

    public bool Has(TcpFlags f) => (Flags & f) != 0;

    public static bool TryParse(ReadOnlySpan<byte> segment, Ipv4Address source, Ipv4Address destination,
        out TcpHeader header, out int headerLength, out DropReason reason)
    {
        header = default;
        headerLength = 0;
        if (segment.Length < MinLength)
        {
            reason = DropReason.Truncated;
            return false;
        }

        var off = (segment[12] >> 4) * 4;
        if (off < MinLength || off > segment.Length)
        {
            reason = DropReason.BadHeader;
            return false;
        }

        if (Checksum.Fold(Checksum.Add(Checksum.PseudoHeader(source, destination, IpProtocol.Tcp, segment.Length), segment)) != 0)
        {
            reason = DropReason.BadChecksum;
            return false;
        }

        if (!TryParseOptions(segment[MinLength..off], out var options))
        {
            reason = DropReason.BadOptions;
            return false;
        }

        header = new TcpHeader(BinaryPrimitives.ReadUInt16BigEndian(segment), BinaryPrimitives.ReadUInt16BigEndian(segment[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(segment[4..]), BinaryPrimitives.ReadUInt32BigEndian(segment[8..]),
            (TcpFlags)(segment[13] & 0x3f), BinaryPrimitives.ReadUInt16BigEndian(segment[14..]), options);
        headerLength = off;
        reason = default;
        return true;
    }

    private static bool TryParseOptions(ReadOnlySpan<byte> o, out TcpOptions options)
    {
        ushort? mss = null;
        byte? ws = null;
        var sack = false;
        uint? tsVal = null;
        uint tsEcr = 0;
        options = default;
        var i = 0;
        while (i < o.Length)
        {
            var kind = o[i];
            if (kind == 0)
            {
                break;
            }

            if (kind == 1)
            {
                i++;
                continue;
            }

            if (i + 1 >= o.Length)
            {
                return false;
            }

            var len = o[i + 1];
            if (len < 2 || i + len > o.Length)
            {
                return false;
            }

            var body = o.Slice(i + 2, len - 2);
            switch (kind)
            {
                case 2:
                    if (len != 4)
                    {
                        return false;
                    }

                    mss = BinaryPrimitives.ReadUInt16BigEndian(body);
                    break;
                case 3:
                    if (len != 3)
                    {
                        return false;
                    }

                    // RFC 7323 §2.3: a shift above 14 is treated as 14.
                    ws = Math.Min(body[0], (byte)14);
                    break;
                case 4:
                    if (len != 2)
                    {
                        return false;
                    }

                    sack = true;
                    break;
                case 8:
                    if (len != 10)
                    {
                        return false;
                    }

                    tsVal = BinaryPrimitives.ReadUInt32BigEndian(body);
                    tsEcr = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
                    break;
                default:
                    // SACK blocks and unknown options are skipped by their length.
                    break;
            }

            i += len;
        }

        options = new TcpOptions(mss, ws, sack, tsVal, tsEcr);
        return true;
    }

    /// <summary>Writes header, options and checksum; <paramref name="segment"/> is header plus payload, payload already in place.</summary>
    public void Write(Span<byte> segment, Ipv4Address source, Ipv4Address destination)
    {
        var hl = HeaderLength;
        BinaryPrimitives.WriteUInt16BigEndian(segment, SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(segment[2..], DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(segment[4..], Sequence);
        BinaryPrimitives.WriteUInt32BigEndian(segment[8..], Acknowledgment);
        segment[12] = (byte)((hl / 4) << 4);
        segment[13] = (byte)Flags;
        BinaryPrimitives.WriteUInt16BigEndian(segment[14..], Window);
        BinaryPrimitives.WriteUInt32BigEndian(segment[16..], 0);
        var o = segment[MinLength..hl];
        var i = 0;
        if (Options.Mss is { } mss)
        {
            o[i] = 2;
            o[i + 1] = 4;
            BinaryPrimitives.WriteUInt16BigEndian(o[(i + 2)..], mss);
            i += 4;
        }

        if (Options.WindowScale is { } ws)
        {
            o[i] = 1;
            o[i + 1] = 3;
            o[i + 2] = 3;
            o[i + 3] = ws;
            i += 4;
        }

        if (Options.SackPermitted)
        {
            o[i] = 1;
            o[i + 1] = 1;
            o[i + 2] = 4;
            o[i + 3] = 2;
            i += 4;
        }

        if (Options.TsVal is { } tsVal)
        {
            o[i] = 1;
            o[i + 1] = 1;
            o[i + 2] = 8;
            o[i + 3] = 10;
            BinaryPrimitives.WriteUInt32BigEndian(o[(i + 4)..], tsVal);
            BinaryPrimitives.WriteUInt32BigEndian(o[(i + 8)..], Options.TsEcr);
        }

        var sum = Checksum.Fold(Checksum.Add(Checksum.PseudoHeader(source, destination, IpProtocol.Tcp, segment.Length), segment));
        BinaryPrimitives.WriteUInt16BigEndian(segment[16..], sum);
    }
}
