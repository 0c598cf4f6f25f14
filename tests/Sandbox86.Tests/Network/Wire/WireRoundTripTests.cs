using Sandbox86.Network;
using Sandbox86.Network.Wire;

namespace Sandbox86.Tests.Network.Wire;

public sealed class WireRoundTripTests
{
    private static readonly Ipv4Address A = Ipv4Address.Parse("10.0.2.15");
    private static readonly Ipv4Address B = Ipv4Address.Parse("93.184.216.34");

    [Fact]
    public void Ethernet_and_arp_round_trip()
    {
        var rnd = new Random(1);
        for (var i = 0; i < 200; i++)
        {
            var arp = new ArpPacket((ushort)(1 + (i & 1)), new MacAddress((ulong)rnd.NextInt64() & 0xffff_ffff_ffff), new Ipv4Address((uint)rnd.Next()),
                new MacAddress((ulong)rnd.NextInt64() & 0xffff_ffff_ffff), new Ipv4Address((uint)rnd.Next()));
            var f = FrameBuilder.Arp(MacAddress.Broadcast, arp.SenderMac, arp);
            Assert.True(EthernetHeader.TryParse(f, out var eth, out _));
            Assert.Equal(new EthernetHeader(MacAddress.Broadcast, arp.SenderMac, EtherType.Arp), eth);
            Assert.True(ArpPacket.TryParse(f.AsSpan(14), out var parsed, out _));
            Assert.Equal(arp, parsed);
        }
    }

    [Fact]
    public void Udp_round_trip_with_valid_checksums()
    {
        var rnd = new Random(2);
        for (var i = 0; i < 200; i++)
        {
            var payload = new byte[rnd.Next(0, 1400)];
            rnd.NextBytes(payload);
            var f = FrameBuilder.Udp(MacAddress.Broadcast, new MacAddress(1), A, B, (ushort)rnd.Next(65536), (ushort)rnd.Next(65536), payload);
            Assert.True(Ipv4Header.TryParse(f.AsSpan(14), out var ip, out var hl, out _));
            Assert.Equal(0, Checksum.Compute(f.AsSpan(14, 20)));
            Assert.Equal((A, B, IpProtocol.Udp), (ip.Source, ip.Destination, ip.Protocol));
            Assert.True(UdpHeader.TryParse(f.AsSpan(14 + hl, ip.PayloadLength), A, B, out var udp, out _));
            Assert.Equal(payload.Length, udp.PayloadLength);
            Assert.Equal(payload, f.AsSpan(14 + hl + 8).ToArray());
        }
    }

    [Fact]
    public void Tcp_round_trip_with_every_option_combination()
    {
        var rnd = new Random(3);
        for (var i = 0; i < 256; i++)
        {
            var opts = new TcpOptions((i & 1) != 0 ? (ushort)rnd.Next(536, 9000) : null, (i & 2) != 0 ? (byte)rnd.Next(15) : null,
                (i & 4) != 0, (i & 8) != 0 ? (uint)rnd.Next() : null, (i & 8) != 0 ? (uint)rnd.Next() : 0);
            var tcp = new TcpHeader((ushort)rnd.Next(65536), (ushort)rnd.Next(65536), (uint)rnd.Next(), (uint)rnd.Next(),
                (TcpFlags)(rnd.Next(64)), (ushort)rnd.Next(65536), opts);
            var payload = new byte[rnd.Next(0, 100)];
            rnd.NextBytes(payload);
            var f = FrameBuilder.Tcp(new MacAddress(2), new MacAddress(1), A, B, tcp, payload);
            Assert.True(Ipv4Header.TryParse(f.AsSpan(14), out var ip, out var ihl, out _));
            Assert.True(TcpHeader.TryParse(f.AsSpan(14 + ihl, ip.PayloadLength), A, B, out var parsed, out var thl, out var reason), reason.ToString());
            Assert.Equal(tcp, parsed);
            Assert.Equal(tcp.HeaderLength, thl);
        }
    }

    [Fact]
    public void Icmp_round_trip()
    {
        var f = FrameBuilder.Icmp(new MacAddress(2), new MacAddress(1), A, B, new IcmpHeader(IcmpHeader.EchoRequest, 0, 7, 9), [1, 2, 3]);
        Assert.True(IcmpHeader.TryParse(f.AsSpan(34), out var icmp, out _));
        Assert.Equal(new IcmpHeader(IcmpHeader.EchoRequest, 0, 7, 9), icmp);
    }

    [Fact]
    public void Dhcp_round_trip()
    {
        var m = new DhcpMessage
        {
            Op = DhcpMessage.BootReply, TransactionId = 0xdeadbeef, Flags = 0x8000, YourIp = A, ServerIp = Ipv4Address.Parse("10.0.2.2"),
            ClientMac = new MacAddress(0x525400123456), MessageType = DhcpMessage.Offer, ServerIdentifier = Ipv4Address.Parse("10.0.2.2"),
            SubnetMask = Ipv4Address.Parse("255.255.255.0"), Router = Ipv4Address.Parse("10.0.2.2"), DnsServer = Ipv4Address.Parse("10.0.2.3"),
            LeaseSeconds = 86400, Mtu = 1500, HostName = "guest",
        };
        var b = new byte[m.Length];
        m.Write(b);
        Assert.True(DhcpMessage.TryParse(b, out var parsed, out _));
        Assert.Equal(m, parsed);
    }

    [Fact]
    public void Dns_round_trip_and_compression_pointers()
    {
        var m = new DnsMessage { Id = 42, Flags = 0x8180 };
        m.Questions.Add(new DnsQuestion("example.test", DnsRecord.TypeA, 1));
        m.Answers.Add(new DnsRecord("example.test", DnsRecord.TypeA, 1, 60, new byte[] { 1, 2, 3, 4 }));
        m.Answers.Add(new DnsRecord("example.test", DnsRecord.TypeAaaa, 1, 60, new byte[16]));
        Assert.True(DnsMessage.TryParse(m.ToArray(), out var parsed, out _));
        Assert.Equal(m.Questions, parsed!.Questions);
        Assert.Equal(m.Answers, parsed.Answers);

        // Hand-made answer whose name is a pointer to the question (offset 12).
        byte[] compressed = [0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 1, (byte)'a', 2, (byte)'b', (byte)'c', 0, 0, 1, 0, 1,
            0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 9, 9, 9, 9];
        Assert.True(DnsMessage.TryParse(compressed, out var c, out _));
        Assert.Equal("a.bc", c!.Answers[0].Name);
    }
}
