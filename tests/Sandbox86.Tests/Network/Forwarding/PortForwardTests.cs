using System.Net;
using System.Net.Sockets;
using System.Text;
using Sandbox86.Network;
using Sandbox86.Network.Gateway;
using Sandbox86.Network.Wire;
using Sandbox86.Tests.Network.Fakes;

namespace Sandbox86.Tests.Network.Forwarding;

public sealed class PortForwardTests
{
    private static void Announce(FakeGuest g) =>
        g.Send(FrameBuilder.Arp(MacAddress.Broadcast, g.Mac, new ArpPacket(ArpPacket.Request, g.Mac, g.Ip, default, FakeGuest.Gateway)));

    [Fact]
    public async Task Tcp_forward_opens_the_connection_to_the_guest_from_the_gateway()
    {
        var forward = new PortForward(TransportProtocol.Tcp, 0, 80);
        await using var net = new VirtualNetwork(new NetworkOptions { Forwards = [forward] });
        await using var g = new FakeGuest(net);
        Announce(g);
        await g.ExpectAsync(r => r.Arp is not null);
        var ep = net.ForwardEndpoints.Values.Single();
        Assert.True(IPAddress.IsLoopback(ep.Address));

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(ep);
        var syn = await g.ExpectTcpAsync(t => t.Has(TcpFlags.Syn));
        Assert.Equal(FakeGuest.Gateway, syn.Ip!.Value.Source);
        Assert.Equal((ushort)80, syn.Tcp!.Value.DestinationPort);
        Assert.False(syn.Tcp.Value.Has(TcpFlags.Ack));
        var t = syn.Tcp.Value;
        const uint guestIss = 5000;
        g.SendTcp(FakeGuest.Gateway, 80, t.SourcePort, guestIss, t.Sequence + 1, TcpFlags.Syn | TcpFlags.Ack, 65535, default,
            new TcpOptions(1460, null, false, null, 0));
        await g.ExpectTcpAsync(h => h.Has(TcpFlags.Ack) && h.Acknowledgment == guestIss + 1);

        await client.SendAsync("GET /"u8.ToArray(), SocketFlags.None);
        var req = await g.ExpectAsync(r => r.Payload.Length > 0);
        Assert.Equal("GET /", Encoding.ASCII.GetString(req.Payload));
        var reply = "200 OK"u8.ToArray();
        g.SendTcp(FakeGuest.Gateway, 80, t.SourcePort, guestIss + 1, t.Sequence + 1 + 5, TcpFlags.Ack | TcpFlags.Psh | TcpFlags.Fin, 65535, reply);
        var buf = new byte[64];
        var n = await client.ReceiveAsync(buf, SocketFlags.None);
        Assert.Equal("200 OK", Encoding.ASCII.GetString(buf, 0, n));
        Assert.Equal(0, await client.ReceiveAsync(buf, SocketFlags.None));
    }

    [Fact]
    public async Task A_guest_known_only_from_its_dhcp_lease_gets_a_forwarded_connection_without_answering_arp()
    {
        // A guest just restored or woken from idle suspension may be slow to answer ARP: its lease names its MAC.
        await using var net = new VirtualNetwork(new NetworkOptions { Forwards = [new PortForward(TransportProtocol.Tcp, 0, 80)] });
        await using var g = new FakeGuest(net);
        g.Send(g.Dhcp(DhcpMessage.Discover));
        await g.ExpectAsync(r => r.Udp is { SourcePort: 67 });
        g.Send(g.Dhcp(DhcpMessage.Request, g.Ip));
        await g.ExpectAsync(r => r.Udp is { SourcePort: 67 });

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(net.ForwardEndpoints.Values.Single());
        var first = await g.ExpectAsync(r => r.Arp is not null || r.Tcp is not null);

        Assert.Null(first.Arp);
        Assert.True(first.Tcp!.Value.Has(TcpFlags.Syn));
        Assert.Equal(g.Mac, first.Eth.Destination);
    }

    [Fact]
    public async Task Udp_forward_delivers_to_the_guest_and_carries_the_reply_back()
    {
        await using var net = new VirtualNetwork(new NetworkOptions { Forwards = [new PortForward(TransportProtocol.Udp, 0, 5000)] });
        await using var g = new FakeGuest(net);
        Announce(g);
        await g.ExpectAsync(r => r.Arp is not null);
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await client.SendAsync("ping"u8.ToArray(), net.ForwardEndpoints.Values.Single());
        var d = await g.ExpectAsync(r => r.Udp is { DestinationPort: 5000 });
        Assert.Equal(FakeGuest.Gateway, d.Ip!.Value.Source);
        Assert.Equal("ping", Encoding.ASCII.GetString(d.Payload));
        g.SendUdp(FakeGuest.Gateway, 5000, d.Udp!.Value.SourcePort, "pong"u8);
        using var cts = new CancellationTokenSource(5000);
        var back = await client.ReceiveAsync(cts.Token);
        Assert.Equal("pong", Encoding.ASCII.GetString(back.Buffer));
    }
}
