using Sandbox86.Network.Wire;

namespace Sandbox86.Tests.Network.Fakes;

/// <summary>A frame the fake guest received, parsed as far as it goes.</summary>
internal sealed record Received(byte[] Frame, EthernetHeader Eth)
{
    public Ipv4Header? Ip { get; init; }
    public TcpHeader? Tcp { get; init; }
    public UdpHeader? Udp { get; init; }
    public IcmpHeader? Icmp { get; init; }
    public ArpPacket? Arp { get; init; }
    public byte[] Payload { get; init; } = [];

    public static Received Parse(byte[] f)
    {
        Assert.True(EthernetHeader.TryParse(f, out var eth, out _));
        var r = new Received(f, eth);
        if (eth.EtherType == EtherType.Arp)
        {
            Assert.True(ArpPacket.TryParse(f.AsSpan(14), out var arp, out _));
            return r with { Arp = arp };
        }

        Assert.True(Ipv4Header.TryParse(f.AsSpan(14), out var ip, out var hl, out var why), $"stack emitted bad IPv4: {why}");
        var t = f.AsSpan(14 + hl, ip.PayloadLength);
        r = r with { Ip = ip };
        switch (ip.Protocol)
        {
            case IpProtocol.Tcp:
                Assert.True(TcpHeader.TryParse(t, ip.Source, ip.Destination, out var tcp, out var thl, out why), $"stack emitted bad TCP: {why}");
                return r with { Tcp = tcp, Payload = t[thl..].ToArray() };
            case IpProtocol.Udp:
                Assert.True(UdpHeader.TryParse(t, ip.Source, ip.Destination, out var udp, out why), $"stack emitted bad UDP: {why}");
                return r with { Udp = udp, Payload = t.Slice(8, udp.PayloadLength).ToArray() };
            case IpProtocol.Icmp:
                Assert.True(IcmpHeader.TryParse(t, out var icmp, out why), $"stack emitted bad ICMP: {why}");
                return r with { Icmp = icmp, Payload = t[8..].ToArray() };
            default:
                return r;
        }
    }
}
