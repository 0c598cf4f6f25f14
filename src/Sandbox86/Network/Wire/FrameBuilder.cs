namespace Sandbox86.Network.Wire;

/// <summary>Builds complete Ethernet frames for the gateway, NAT and tests.</summary>
internal static class FrameBuilder
{
    private static int _ipId;

    public static byte[] Arp(MacAddress dst, MacAddress src, in ArpPacket arp)
    {
        var f = new byte[EthernetHeader.Length + ArpPacket.Length];
        new EthernetHeader(dst, src, EtherType.Arp).Write(f);
        arp.Write(f.AsSpan(EthernetHeader.Length));
        return f;
    }

    /// <summary>Allocates a frame with Ethernet and IPv4 headers written; returns the transport span offset.</summary>
    private static byte[] Ip(MacAddress dst, MacAddress src, Ipv4Address ipSrc, Ipv4Address ipDst, byte proto, int transportLength)
    {
        var f = new byte[EthernetHeader.Length + Ipv4Header.MinLength + transportLength];
        new EthernetHeader(dst, src, EtherType.Ipv4).Write(f);
        new Ipv4Header(0, (ushort)Interlocked.Increment(ref _ipId), true, 64, proto, ipSrc, ipDst, transportLength)
            .Write(f.AsSpan(EthernetHeader.Length));
        return f;
    }

    public const int IpOffset = EthernetHeader.Length;
    public const int TransportOffset = EthernetHeader.Length + Ipv4Header.MinLength;

    public static byte[] Udp(MacAddress dst, MacAddress src, Ipv4Address ipSrc, Ipv4Address ipDst, ushort srcPort, ushort dstPort,
        ReadOnlySpan<byte> payload)
    {
        var f = Ip(dst, src, ipSrc, ipDst, IpProtocol.Udp, UdpHeader.Length + payload.Length);
        var t = f.AsSpan(TransportOffset);
        payload.CopyTo(t[UdpHeader.Length..]);
        new UdpHeader(srcPort, dstPort, payload.Length).Write(t, ipSrc, ipDst);
        return f;
    }

    public static byte[] Tcp(MacAddress dst, MacAddress src, Ipv4Address ipSrc, Ipv4Address ipDst, in TcpHeader tcp,
        ReadOnlySpan<byte> payload)
    {
        var hl = tcp.HeaderLength;
        var f = Ip(dst, src, ipSrc, ipDst, IpProtocol.Tcp, hl + payload.Length);
        var t = f.AsSpan(TransportOffset);
        payload.CopyTo(t[hl..]);
        tcp.Write(t, ipSrc, ipDst);
        return f;
    }

    public static byte[] Icmp(MacAddress dst, MacAddress src, Ipv4Address ipSrc, Ipv4Address ipDst, in IcmpHeader icmp,
        ReadOnlySpan<byte> payload)
    {
        var f = Ip(dst, src, ipSrc, ipDst, IpProtocol.Icmp, IcmpHeader.Length + payload.Length);
        var t = f.AsSpan(TransportOffset);
        payload.CopyTo(t[IcmpHeader.Length..]);
        icmp.Write(t);
        return f;
    }
}
