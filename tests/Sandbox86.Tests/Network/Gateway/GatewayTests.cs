using System.Net;
using Sandbox86.Network;
using Sandbox86.Network.Gateway;
using Sandbox86.Network.Wire;
using Sandbox86.Tests.Network.Fakes;

namespace Sandbox86.Tests.Network.Gateway;

public sealed class GatewayTests
{
    private static async Task<DhcpMessage> ExpectDhcp(FakeGuest g)
    {
        var r = await g.ExpectAsync(r => r.Udp is { SourcePort: 67 });
        Assert.True(DhcpMessage.TryParse(r.Payload, out var m, out _));
        return m!;
    }

    [Fact]
    public async Task Dhcp_handshake_offers_first_guest_with_router_dns_mask_lease_and_mtu()
    {
        await using var net = new VirtualNetwork(new NetworkOptions { LeaseTime = TimeSpan.FromHours(1) });
        await using var g = new FakeGuest(net);
        g.Send(g.Dhcp(DhcpMessage.Discover));
        var offer = await ExpectDhcp(g);
        Assert.Equal(DhcpMessage.Offer, offer.MessageType);
        Assert.Equal(Ipv4Address.Parse("10.0.2.15"), offer.YourIp);
        Assert.Equal(FakeGuest.Gateway, offer.Router);
        Assert.Equal(FakeGuest.Dns, offer.DnsServer);
        Assert.Equal(Ipv4Address.Parse("255.255.255.0"), offer.SubnetMask);
        Assert.Equal(3600u, offer.LeaseSeconds);
        Assert.Equal((ushort)1500, offer.Mtu);
        Assert.Equal(0x1234u, offer.TransactionId);

        g.Send(g.Dhcp(DhcpMessage.Request, offer.YourIp));
        var ack = await ExpectDhcp(g);
        Assert.Equal(DhcpMessage.Ack, ack.MessageType);
        Assert.Equal(IPAddress.Parse("10.0.2.15"), net.LeaseOf("guest"));

        g.Send(g.Dhcp(DhcpMessage.Request, Ipv4Address.Parse("10.0.2.99")));
        Assert.Equal(DhcpMessage.Nak, (await ExpectDhcp(g)).MessageType);
    }

    [Fact]
    public async Task Leases_are_per_port_so_clones_with_one_mac_get_distinct_addresses_and_static_leases_hold()
    {
        var options = new NetworkOptions { StaticLeases = [new StaticLease("fixed", IPAddress.Parse("10.0.2.50"))] };
        await using var net = new VirtualNetwork(options);
        await using var a = new FakeGuest(net, "a");
        await using var b = new FakeGuest(net, "b");
        await using var c = new FakeGuest(net, "fixed", mac: 0x5254_0000_0099);
        a.Send(a.Dhcp(DhcpMessage.Discover));
        Assert.Equal(Ipv4Address.Parse("10.0.2.15"), (await ExpectDhcp(a)).YourIp);
        b.Send(b.Dhcp(DhcpMessage.Discover));
        Assert.Equal(Ipv4Address.Parse("10.0.2.16"), (await ExpectDhcp(b)).YourIp);
        c.Send(c.Dhcp(DhcpMessage.Discover));
        Assert.Equal(Ipv4Address.Parse("10.0.2.50"), (await ExpectDhcp(c)).YourIp);
    }

    [Theory]
    [InlineData("10.0.2.2")]
    [InlineData("10.0.2.3")]
    public async Task Arp_is_answered_for_gateway_and_dns(string target)
    {
        await using var net = new VirtualNetwork(new NetworkOptions());
        await using var g = new FakeGuest(net);
        g.Send(FrameBuilder.Arp(MacAddress.Broadcast, g.Mac, new ArpPacket(ArpPacket.Request, g.Mac, g.Ip, default, Ipv4Address.Parse(target))));
        var r = await g.ExpectAsync(r => r.Arp is not null);
        Assert.Equal(ArpPacket.Reply, r.Arp!.Value.Operation);
        Assert.Equal(GatewayStack.Mac, r.Arp.Value.SenderMac);
        Assert.Equal(Ipv4Address.Parse(target), r.Arp.Value.SenderIp);
        Assert.Equal(g.Mac, r.Eth.Destination);
    }

    [Fact]
    public async Task Arp_for_other_addresses_is_not_answered()
    {
        await using var net = new VirtualNetwork(new NetworkOptions());
        await using var g = new FakeGuest(net);
        g.Send(FrameBuilder.Arp(MacAddress.Broadcast, g.Mac, new ArpPacket(ArpPacket.Request, g.Mac, g.Ip, default, Ipv4Address.Parse("10.0.2.77"))));
        Assert.True(await g.QuietAsync(r => r.Arp is not null));
    }

    [Fact]
    public async Task Gateway_answers_ping_with_the_same_id_sequence_and_payload()
    {
        await using var net = new VirtualNetwork(new NetworkOptions());
        await using var g = new FakeGuest(net);
        g.Send(FrameBuilder.Icmp(GatewayStack.Mac, g.Mac, g.Ip, FakeGuest.Gateway, new IcmpHeader(IcmpHeader.EchoRequest, 0, 77, 3), [9, 8, 7]));
        var r = await g.ExpectAsync(r => r.Icmp is not null);
        Assert.Equal(new IcmpHeader(IcmpHeader.EchoReply, 0, 77, 3), r.Icmp);
        Assert.Equal(FakeGuest.Gateway, r.Ip!.Value.Source);
        Assert.Equal([9, 8, 7], r.Payload);
    }

    [Fact]
    public async Task Ping_to_a_denied_destination_gets_unreachable()
    {
        await using var net = new VirtualNetwork(new NetworkOptions());
        await using var g = new FakeGuest(net);
        g.Send(FrameBuilder.Icmp(GatewayStack.Mac, g.Mac, g.Ip, Ipv4Address.Parse("169.254.169.254"), new IcmpHeader(IcmpHeader.EchoRequest, 0, 1, 1), [1]));
        var r = await g.ExpectAsync(r => r.Icmp is not null);
        Assert.Equal(IcmpHeader.DestinationUnreachable, r.Icmp!.Value.Type);
        Assert.Equal(1, net.Counters.Drops[DropReason.PolicyDenied]);
    }
}
