using System.Buffers.Binary;

namespace Sandbox86.Network.Wire;

/// <summary>ARP for IPv4 over Ethernet (RFC 826).</summary>
internal readonly record struct ArpPacket(ushort Operation, MacAddress SenderMac, Ipv4Address SenderIp, MacAddress TargetMac, Ipv4Address TargetIp)
{
    public const int Length = 28;
    public const ushort Request = 1;
    public const ushort Reply = 2;

    public static bool TryParse(ReadOnlySpan<byte> p, out ArpPacket arp, out DropReason reason)
    {
        arp = default;
        if (p.Length < Length)
        {
            reason = DropReason.Truncated;
            return false;
        }

        if (BinaryPrimitives.ReadUInt16BigEndian(p) != 1 || BinaryPrimitives.ReadUInt16BigEndian(p[2..]) != Wire.EtherType.Ipv4
            || p[4] != 6 || p[5] != 4)
        {
            reason = DropReason.BadHeader;
            return false;
        }

        var op = BinaryPrimitives.ReadUInt16BigEndian(p[6..]);
        if (op is not (Request or Reply))
        {
            reason = DropReason.BadHeader;
            return false;
        }

        arp = new ArpPacket(op, MacAddress.Read(p[8..]), Ipv4Address.Read(p[14..]), MacAddress.Read(p[18..]), Ipv4Address.Read(p[24..]));
        reason = default;
        return true;
    }

    public void Write(Span<byte> p)
    {
        BinaryPrimitives.WriteUInt16BigEndian(p, 1);
        BinaryPrimitives.WriteUInt16BigEndian(p[2..], Wire.EtherType.Ipv4);
        p[4] = 6;
        p[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(p[6..], Operation);
        SenderMac.Write(p[8..]);
        SenderIp.Write(p[14..]);
        TargetMac.Write(p[18..]);
        TargetIp.Write(p[24..]);
    }
}
