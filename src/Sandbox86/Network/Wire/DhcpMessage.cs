using System.Buffers.Binary;
using System.Text;

namespace Sandbox86.Network.Wire;

/// <summary>
/// A DHCPv4 message (RFC 2131/2132) reduced to the fields and options the gateway uses.
/// Unknown options are skipped by length; option overload is ignored.
/// </summary>
internal sealed record DhcpMessage
{
    public const int FixedLength = 236;
    public const uint MagicCookie = 0x63825363;
    public const byte BootRequest = 1;
    public const byte BootReply = 2;
    public const byte Discover = 1;
    public const byte Offer = 2;
    public const byte Request = 3;
    public const byte Decline = 4;
    public const byte Ack = 5;
    public const byte Nak = 6;
    public const byte Release = 7;
    public const byte Inform = 8;

    public byte Op { get; init; }
    public uint TransactionId { get; init; }
    public ushort Flags { get; init; }
    public Ipv4Address ClientIp { get; init; }
    public Ipv4Address YourIp { get; init; }
    public Ipv4Address ServerIp { get; init; }
    public Ipv4Address RelayIp { get; init; }
    public MacAddress ClientMac { get; init; }
    public byte MessageType { get; init; }
    public Ipv4Address? RequestedIp { get; init; }
    public Ipv4Address? ServerIdentifier { get; init; }
    public Ipv4Address? SubnetMask { get; init; }
    public Ipv4Address? Router { get; init; }
    public Ipv4Address? DnsServer { get; init; }
    public uint? LeaseSeconds { get; init; }
    public ushort? Mtu { get; init; }
    public string? HostName { get; init; }

    public static bool TryParse(ReadOnlySpan<byte> p, out DhcpMessage? message, out DropReason reason)
    {
        message = null;
        if (p.Length < FixedLength + 4)
        {
            reason = DropReason.Truncated;
            return false;
        }

        if (p[1] != 1 || p[2] != 6 || BinaryPrimitives.ReadUInt32BigEndian(p[FixedLength..]) != MagicCookie)
        {
            reason = DropReason.BadDhcp;
            return false;
        }

        var m = new DhcpMessage
        {
            Op = p[0],
            TransactionId = BinaryPrimitives.ReadUInt32BigEndian(p[4..]),
            Flags = BinaryPrimitives.ReadUInt16BigEndian(p[10..]),
            ClientIp = Ipv4Address.Read(p[12..]),
            YourIp = Ipv4Address.Read(p[16..]),
            ServerIp = Ipv4Address.Read(p[20..]),
            RelayIp = Ipv4Address.Read(p[24..]),
            ClientMac = MacAddress.Read(p[28..]),
        };

        var o = p[(FixedLength + 4)..];
        var i = 0;
        while (i < o.Length)
        {
            var code = o[i];
            if (code == 255)
            {
                break;
            }

            if (code == 0)
            {
                i++;
                continue;
            }

            if (i + 1 >= o.Length || i + 2 + o[i + 1] > o.Length)
            {
                reason = DropReason.BadDhcp;
                return false;
            }

            var body = o.Slice(i + 2, o[i + 1]);
            i += 2 + body.Length;
            switch (code)
            {
                case 53 when body.Length == 1:
                    m = m with { MessageType = body[0] };
                    break;
                case 50 when body.Length == 4:
                    m = m with { RequestedIp = Ipv4Address.Read(body) };
                    break;
                case 54 when body.Length == 4:
                    m = m with { ServerIdentifier = Ipv4Address.Read(body) };
                    break;
                case 1 when body.Length == 4:
                    m = m with { SubnetMask = Ipv4Address.Read(body) };
                    break;
                case 3 when body.Length >= 4:
                    m = m with { Router = Ipv4Address.Read(body) };
                    break;
                case 6 when body.Length >= 4:
                    m = m with { DnsServer = Ipv4Address.Read(body) };
                    break;
                case 51 when body.Length == 4:
                    m = m with { LeaseSeconds = BinaryPrimitives.ReadUInt32BigEndian(body) };
                    break;
                case 26 when body.Length == 2:
                    m = m with { Mtu = BinaryPrimitives.ReadUInt16BigEndian(body) };
                    break;
                case 12 when body.Length > 0:
                    m = m with { HostName = Encoding.ASCII.GetString(body) };
                    break;
                case 53 or 50 or 54 or 1 or 51 or 26:
                    reason = DropReason.BadDhcp;
                    return false;
                default:
                    break;
            }
        }

        if (m.MessageType is < Discover or > Inform)
        {
            reason = DropReason.BadDhcp;
            return false;
        }

        message = m;
        reason = default;
        return true;
    }

    /// <summary>Bytes <see cref="Write"/> produces (at least the 300-byte BOOTP minimum).</summary>
    public int Length
    {
        get
        {
            var n = FixedLength + 4 + 3 + 1;
            n += RequestedIp is null ? 0 : 6;
            n += ServerIdentifier is null ? 0 : 6;
            n += SubnetMask is null ? 0 : 6;
            n += Router is null ? 0 : 6;
            n += DnsServer is null ? 0 : 6;
            n += LeaseSeconds is null ? 0 : 6;
            n += Mtu is null ? 0 : 4;
            n += HostName is null ? 0 : 2 + Math.Min(255, HostName.Length);
            return Math.Max(300, n);
        }
    }

    public void Write(Span<byte> p)
    {
        p[..Length].Clear();
        p[0] = Op;
        p[1] = 1;
        p[2] = 6;
        BinaryPrimitives.WriteUInt32BigEndian(p[4..], TransactionId);
        BinaryPrimitives.WriteUInt16BigEndian(p[10..], Flags);
        ClientIp.Write(p[12..]);
        YourIp.Write(p[16..]);
        ServerIp.Write(p[20..]);
        RelayIp.Write(p[24..]);
        ClientMac.Write(p[28..]);
        BinaryPrimitives.WriteUInt32BigEndian(p[FixedLength..], MagicCookie);
        var i = FixedLength + 4;
        p[i++] = 53;
        p[i++] = 1;
        p[i++] = MessageType;
        i = Put(p, i, 50, RequestedIp);
        i = Put(p, i, 54, ServerIdentifier);
        i = Put(p, i, 1, SubnetMask);
        i = Put(p, i, 3, Router);
        i = Put(p, i, 6, DnsServer);
        if (LeaseSeconds is { } lease)
        {
            p[i] = 51;
            p[i + 1] = 4;
            BinaryPrimitives.WriteUInt32BigEndian(p[(i + 2)..], lease);
            i += 6;
        }

        if (Mtu is { } mtu)
        {
            p[i] = 26;
            p[i + 1] = 2;
            BinaryPrimitives.WriteUInt16BigEndian(p[(i + 2)..], mtu);
            i += 4;
        }

        if (HostName is { } name)
        {
            var n = Math.Min(255, name.Length);
            p[i] = 12;
            p[i + 1] = (byte)n;
            Encoding.ASCII.GetBytes(name.AsSpan(0, n), p[(i + 2)..]);
            i += 2 + n;
        }

        p[i] = 255;
    }

    private static int Put(Span<byte> p, int i, byte code, Ipv4Address? value)
    {
        if (value is not { } v)
        {
            return i;
        }

        p[i] = code;
        p[i + 1] = 4;
        v.Write(p[(i + 2)..]);
        return i + 6;
    }
}
