using System.Buffers.Binary;

namespace Sandbox86.Network.Wire;

/// <summary>
/// IPv4 header (RFC 791). Options are accepted on parse and skipped; emit always writes 20 bytes.
/// Fragments are rejected: the stack never reassembles (guests honour the MTU we hand out).
/// </summary>
internal readonly record struct Ipv4Header(byte Tos, ushort Identification, bool DontFragment, byte Ttl, byte Protocol,
    Ipv4Address Source, Ipv4Address Destination, int PayloadLength)
{
    public const int MinLength = 20;

    public static bool TryParse(ReadOnlySpan<byte> p, out Ipv4Header header, out int headerLength, out DropReason reason)
    {
        header = default;
        headerLength = 0;
        if (p.Length < MinLength)
        {
            reason = DropReason.Truncated;
            return false;
        }

        if ((p[0] >> 4) != 4)
        {
            reason = DropReason.BadHeader;
            return false;
        }

        var ihl = (p[0] & 0xf) * 4;
        if (ihl < MinLength || ihl > p.Length)
        {
            reason = DropReason.BadHeader;
            return false;
        }

        int total = BinaryPrimitives.ReadUInt16BigEndian(p[2..]);
        // Ethernet pads short frames, so the buffer may be longer than the datagram, never shorter.
        if (total < ihl || total > p.Length)
        {
            reason = DropReason.BadLength;
            return false;
        }

        if (Checksum.Compute(p[..ihl]) != 0)
        {
            reason = DropReason.BadChecksum;
            return false;
        }

        var flagsFrag = BinaryPrimitives.ReadUInt16BigEndian(p[6..]);
        if ((flagsFrag & 0x2000) != 0 || (flagsFrag & 0x1fff) != 0)
        {
            reason = DropReason.Fragment;
            return false;
        }

        header = new Ipv4Header(p[1], BinaryPrimitives.ReadUInt16BigEndian(p[4..]), (flagsFrag & 0x4000) != 0, p[8], p[9],
            Ipv4Address.Read(p[12..]), Ipv4Address.Read(p[16..]), total - ihl);
        headerLength = ihl;
        reason = default;
        return true;
    }

    public void Write(Span<byte> p)
    {
        p[0] = 0x45;
        p[1] = Tos;
        BinaryPrimitives.WriteUInt16BigEndian(p[2..], checked((ushort)(MinLength + PayloadLength)));
        BinaryPrimitives.WriteUInt16BigEndian(p[4..], Identification);
        BinaryPrimitives.WriteUInt16BigEndian(p[6..], (ushort)(DontFragment ? 0x4000 : 0));
        p[8] = Ttl;
        p[9] = Protocol;
        p[10] = 0;
        p[11] = 0;
        Source.Write(p[12..]);
        Destination.Write(p[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(p[10..], Checksum.Compute(p[..MinLength]));
    }
}
