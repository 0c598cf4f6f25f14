using System.Buffers.Binary;

namespace Sandbox86.Network.Wire;

/// <summary>UDP header (RFC 768) with the IPv4 pseudo-header checksum.</summary>
internal readonly record struct UdpHeader(ushort SourcePort, ushort DestinationPort, int PayloadLength)
{
    public const int Length = 8;

    public static bool TryParse(ReadOnlySpan<byte> datagram, Ipv4Address source, Ipv4Address destination,
        out UdpHeader header, out DropReason reason)
    {
        header = default;
        if (datagram.Length < Length)
        {
            reason = DropReason.Truncated;
            return false;
        }

        int len = BinaryPrimitives.ReadUInt16BigEndian(datagram[4..]);
        if (len < Length || len > datagram.Length)
        {
            reason = DropReason.BadLength;
            return false;
        }

        // A zero checksum means "not computed" for UDP over IPv4.
        if (BinaryPrimitives.ReadUInt16BigEndian(datagram[6..]) != 0
            && Checksum.Fold(Checksum.Add(Checksum.PseudoHeader(source, destination, IpProtocol.Udp, len), datagram[..len])) != 0)
        {
            reason = DropReason.BadChecksum;
            return false;
        }

        header = new UdpHeader(BinaryPrimitives.ReadUInt16BigEndian(datagram), BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]), len - Length);
        reason = default;
        return true;
    }

    /// <summary>Writes the header and checksum; the payload must already follow the header.</summary>
    public void Write(Span<byte> datagram, Ipv4Address source, Ipv4Address destination)
    {
        var len = Length + PayloadLength;
        BinaryPrimitives.WriteUInt16BigEndian(datagram, SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[2..], DestinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(datagram[4..], checked((ushort)len));
        BinaryPrimitives.WriteUInt16BigEndian(datagram[6..], 0);
        var sum = Checksum.Fold(Checksum.Add(Checksum.PseudoHeader(source, destination, IpProtocol.Udp, len), datagram[..len]));
        BinaryPrimitives.WriteUInt16BigEndian(datagram[6..], sum == 0 ? (ushort)0xffff : sum);
    }
}
