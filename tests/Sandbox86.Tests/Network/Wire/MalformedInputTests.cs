using Sandbox86.Network;
using Sandbox86.Network.Wire;

namespace Sandbox86.Tests.Network.Wire;

public sealed class MalformedInputTests
{
    private static readonly Ipv4Address A = Ipv4Address.Parse("10.0.2.15");
    private static readonly Ipv4Address B = Ipv4Address.Parse("10.0.2.2");

    private static byte[] TcpFrame(TcpOptions o = default) =>
        FrameBuilder.Tcp(new MacAddress(2), new MacAddress(1), A, B, new TcpHeader(1, 2, 3, 4, TcpFlags.Syn, 100, o), []);

    [Fact]
    public void Ipv4_rejects_each_kind_of_bad_header()
    {
        var good = FrameBuilder.Udp(new MacAddress(2), new MacAddress(1), A, B, 1, 2, [1, 2, 3]).AsSpan(14).ToArray();
        Assert.True(Ipv4Header.TryParse(good, out _, out _, out _));

        Assert.Equal(DropReason.Truncated, Ip(good[..10]));
        var v6 = (byte[])good.Clone();
        v6[0] = 0x65;
        Assert.Equal(DropReason.BadHeader, Ip(v6));
        var ihl = (byte[])good.Clone();
        ihl[0] = 0x4f;
        Assert.Equal(DropReason.BadHeader, Ip(ihl));
        var len = (byte[])good.Clone();
        len[2] = 0xff;
        Assert.Equal(DropReason.BadLength, Ip(len));
        var sum = (byte[])good.Clone();
        sum[8] ^= 1;
        Assert.Equal(DropReason.BadChecksum, Ip(sum));
        var frag = (byte[])good.Clone();
        frag[6] = 0x20; // MF
        frag[10] = frag[11] = 0;
        var c = Checksum.Compute(frag.AsSpan(0, 20));
        frag[10] = (byte)(c >> 8);
        frag[11] = (byte)c;
        Assert.Equal(DropReason.Fragment, Ip(frag));
    }

    private static DropReason Ip(byte[] b)
    {
        Assert.False(Ipv4Header.TryParse(b, out _, out _, out var r));
        return r;
    }

    [Fact]
    public void Udp_and_tcp_reject_bad_lengths_checksums_and_options()
    {
        var udp = FrameBuilder.Udp(new MacAddress(2), new MacAddress(1), A, B, 1, 2, [1, 2, 3]).AsSpan(34).ToArray();
        var bad = (byte[])udp.Clone();
        bad[5] = 200;
        Assert.False(UdpHeader.TryParse(bad, A, B, out _, out var r));
        Assert.Equal(DropReason.BadLength, r);
        bad = (byte[])udp.Clone();
        bad[9] ^= 0xff;
        Assert.False(UdpHeader.TryParse(bad, A, B, out _, out r));
        Assert.Equal(DropReason.BadChecksum, r);

        var tcp = TcpFrame(new TcpOptions(1460, 7, true, 5, 6)).AsSpan(34).ToArray();
        Assert.True(TcpHeader.TryParse(tcp, A, B, out _, out _, out _));
        Assert.False(TcpHeader.TryParse(tcp.AsSpan(0, 10), A, B, out _, out _, out r));
        Assert.Equal(DropReason.Truncated, r);
        bad = (byte[])tcp.Clone();
        bad[12] = 0xf0; // data offset 60 > segment
        Assert.False(TcpHeader.TryParse(bad, A, B, out _, out _, out r));
        Assert.Equal(DropReason.BadHeader, r);
        bad = (byte[])tcp.Clone();
        bad[21] = 40; // MSS option claims 40 bytes
        FixTcpChecksum(bad);
        Assert.False(TcpHeader.TryParse(bad, A, B, out _, out _, out r));
        Assert.Equal(DropReason.BadOptions, r);
        bad = (byte[])tcp.Clone();
        bad[21] = 0; // zero-length option would loop forever
        FixTcpChecksum(bad);
        Assert.False(TcpHeader.TryParse(bad, A, B, out _, out _, out r));
        Assert.Equal(DropReason.BadOptions, r);
        bad = (byte[])tcp.Clone();
        bad[0] ^= 1;
        Assert.False(TcpHeader.TryParse(bad, A, B, out _, out _, out r));
        Assert.Equal(DropReason.BadChecksum, r);
    }

    private static void FixTcpChecksum(byte[] seg)
    {
        seg[16] = seg[17] = 0;
        var s = Checksum.Fold(Checksum.Add(Checksum.PseudoHeader(A, B, IpProtocol.Tcp, seg.Length), seg));
        seg[16] = (byte)(s >> 8);
        seg[17] = (byte)s;
    }

    [Fact]
    public void Dns_rejects_pointer_loops_forward_pointers_and_lying_counts()
    {
        byte[] loop = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1];
        Assert.False(DnsMessage.TryParse(loop, out _, out _));
        byte[] forward = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14, 0, 0, 1, 0, 1];
        Assert.False(DnsMessage.TryParse(forward, out _, out _));
        byte[] counts = [0, 1, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0];
        Assert.False(DnsMessage.TryParse(counts, out _, out _));
        byte[] labelOverrun = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 50, (byte)'a', 0, 0, 1, 0, 1];
        Assert.False(DnsMessage.TryParse(labelOverrun, out _, out _));
        // Four 63-byte labels: 256 bytes of name, one more than RFC 1035 allows.
        var chain = new List<byte> { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
        for (var i = 0; i < 4; i++)
        {
            chain.Add(63);
            chain.AddRange(Enumerable.Repeat((byte)'y', 63));
        }

        chain.AddRange([0, 0, 1, 0, 1]);
        Assert.False(DnsMessage.TryParse(chain.ToArray(), out _, out _));
    }

    [Fact]
    public void Random_garbage_never_throws()
    {
        var rnd = new Random(4);
        var seeds = new[]
        {
            TcpFrame(new TcpOptions(1460, 7, true, 5, 6)),
            FrameBuilder.Udp(new MacAddress(2), new MacAddress(1), A, B, 68, 67, new byte[300]),
            FrameBuilder.Arp(MacAddress.Broadcast, new MacAddress(1), new ArpPacket(1, new MacAddress(1), A, default, B)),
        };
        for (var i = 0; i < 20_000; i++)
        {
            var b = (byte[])seeds[i % seeds.Length].Clone();
            var flips = rnd.Next(1, 6);
            for (var k = 0; k < flips; k++)
            {
                b[rnd.Next(b.Length)] = (byte)rnd.Next(256);
            }

            var span = b.AsSpan(0, rnd.Next(b.Length + 1));
            _ = EthernetHeader.TryParse(span, out _, out _);
            _ = ArpPacket.TryParse(span.Length > 14 ? span[14..] : span, out _, out _);
            if (span.Length > 14 && Ipv4Header.TryParse(span[14..], out var ip, out var hl, out _))
            {
                var t = span.Slice(14 + hl, ip.PayloadLength);
                _ = TcpHeader.TryParse(t, ip.Source, ip.Destination, out _, out _, out _);
                _ = UdpHeader.TryParse(t, ip.Source, ip.Destination, out _, out _);
                _ = IcmpHeader.TryParse(t, out _, out _);
                _ = DhcpMessage.TryParse(t.Length > 8 ? t[8..] : t, out _, out _);
                _ = DnsMessage.TryParse(t.Length > 8 ? t[8..] : t, out _, out _);
            }

            _ = DnsMessage.TryParse(span, out _, out _);
            _ = DhcpMessage.TryParse(span, out _, out _);
        }
    }
}
