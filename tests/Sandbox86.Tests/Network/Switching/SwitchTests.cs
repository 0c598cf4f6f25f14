using Sandbox86.Network;
using Sandbox86.Network.Gateway;
using Sandbox86.Network.Wire;
using Sandbox86.Tests.Network.Fakes;

namespace Sandbox86.Tests.Network.Switching;

public sealed class SwitchTests
{
    private static byte[] Raw(MacAddress dst, MacAddress src) =>
        FrameBuilder.Udp(dst, src, Ipv4Address.Parse("10.0.2.15"), Ipv4Address.Parse("10.0.2.16"), 1, 2, "x"u8);

    [Fact]
    public async Task Guests_on_one_network_reach_each_other_and_unicast_goes_only_to_the_learned_port()
    {
        await using var net = new VirtualNetwork(new NetworkOptions());
        await using var a = new FakeGuest(net, "a", 0x020000000001);
        await using var b = new FakeGuest(net, "b", 0x020000000002, "10.0.2.16");
        await using var c = new FakeGuest(net, "c", 0x020000000003, "10.0.2.17");
        b.Send(Raw(MacAddress.Broadcast, b.Mac));
        await a.ExpectAsync(r => r.Eth.Source == b.Mac);
        await c.ExpectAsync(r => r.Eth.Source == b.Mac);
        a.Send(Raw(b.Mac, a.Mac));
        await b.ExpectAsync(r => r.Eth.Source == a.Mac);
        Assert.True(await c.QuietAsync(r => r.Eth.Source == a.Mac));
    }

    [Fact]
    public async Task Separate_networks_are_isolated()
    {
        await using var n1 = new VirtualNetwork(new NetworkOptions());
        await using var n2 = new VirtualNetwork(new NetworkOptions());
        await using var a = new FakeGuest(n1, "a", 0x020000000001);
        await using var b = new FakeGuest(n2, "b", 0x020000000002);
        a.Send(Raw(MacAddress.Broadcast, a.Mac));
        Assert.True(await b.QuietAsync(r => true));
    }

    [Fact]
    public async Task A_stuck_port_loses_its_own_frames_without_blocking_the_switch()
    {
        await using var net = new VirtualNetwork(new NetworkOptions { PortQueueCapacity = 4 });
        var never = new TaskCompletionSource();
        var stuck = net.AttachPort("stuck", async _ => await never.Task);
        await using var a = new FakeGuest(net, "a", 0x020000000001);
        for (var i = 0; i < 50; i++)
        {
            a.Send(Raw(MacAddress.Broadcast, a.Mac));
        }

        a.Send(FrameBuilder.Icmp(GatewayStack.Mac, a.Mac, a.Ip, FakeGuest.Gateway, new IcmpHeader(IcmpHeader.EchoRequest, 0, 1, 1), []));
        await a.ExpectAsync(r => r.Icmp is not null);
        Assert.True(stuck.Counters.Drops[DropReason.QueueFull] >= 40);
        never.SetResult();
        await stuck.DisposeAsync();
    }

    [Fact]
    public async Task Malformed_frames_of_every_kind_are_dropped_and_counted()
    {
        await using var net = new VirtualNetwork(new NetworkOptions());
        await using var g = new FakeGuest(net);
        g.Send(new byte[5]);
        g.Send(Raw(GatewayStack.Mac, MacAddress.Broadcast));
        var badSum = FrameBuilder.Udp(GatewayStack.Mac, g.Mac, g.Ip, FakeGuest.Gateway, 1, 2, "x"u8);
        badSum[24] ^= 0xff;
        g.Send(badSum);
        var badLen = FrameBuilder.Udp(GatewayStack.Mac, g.Mac, g.Ip, FakeGuest.Gateway, 1, 2, "x"u8);
        badLen[38] = 0xff;
        g.Send(badLen);
        var badOpt = FrameBuilder.Tcp(GatewayStack.Mac, g.Mac, g.Ip, FakeGuest.Gateway,
            new TcpHeader(1, 2, 0, 0, TcpFlags.Syn, 0, new TcpOptions(1460, null, false, null, 0)), []);
        badOpt[14 + 20 + 21] = 0;
        badOpt[14 + 20 + 16] = badOpt[14 + 20 + 17] = 0;
        var sum = Checksum.Fold(Checksum.Add(Checksum.PseudoHeader(g.Ip, FakeGuest.Gateway, IpProtocol.Tcp, badOpt.Length - 34), badOpt.AsSpan(34)));
        badOpt[14 + 20 + 16] = (byte)(sum >> 8);
        badOpt[14 + 20 + 17] = (byte)sum;
        g.Send(badOpt);
        g.SendUdp(FakeGuest.Dns, 1000, 53, [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
        g.SendUdp(FakeGuest.Gateway, 68, 67, new byte[100]);
        var ipv6 = FrameBuilder.Udp(GatewayStack.Mac, g.Mac, g.Ip, FakeGuest.Gateway, 1, 2, "x"u8);
        ipv6[12] = 0x86;
        ipv6[13] = 0xdd;
        g.Send(ipv6);

        // Still alive: the gateway answers a ping afterwards.
        g.Send(FrameBuilder.Icmp(GatewayStack.Mac, g.Mac, g.Ip, FakeGuest.Gateway, new IcmpHeader(IcmpHeader.EchoRequest, 0, 1, 1), []));
        await g.ExpectAsync(r => r.Icmp is not null);
        var c = net.Counters;
        var port = c.Ports.Single();
        Assert.Equal(1, port.Drops[DropReason.Truncated]);
        Assert.Equal(1, port.Drops[DropReason.BadSource]);
        Assert.Equal(1, c.Drops[DropReason.BadChecksum]);
        Assert.Equal(1, c.Drops[DropReason.BadLength]);
        Assert.Equal(1, c.Drops[DropReason.BadOptions]);
        Assert.Equal(1, c.Drops[DropReason.BadDns]);
        Assert.Equal(1, c.Drops[DropReason.Truncated]);
        Assert.Equal(1, c.Drops[DropReason.Unsupported]);
        Assert.Equal(9, port.FramesIn);
    }
}
