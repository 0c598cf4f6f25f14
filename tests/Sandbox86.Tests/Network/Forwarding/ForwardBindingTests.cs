using System.Net;
using System.Net.Sockets;
using Sandbox86.Network;

namespace Sandbox86.Tests.Network.Forwarding;

/// <summary>A network whose forwards cannot all be bound leaves none of them bound.</summary>
public sealed class ForwardBindingTests
{
    private static int FreePort(SocketType type, ProtocolType protocol)
    {
        using var s = new Socket(AddressFamily.InterNetwork, type, protocol);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    private static bool CanBind(int port, SocketType type, ProtocolType protocol)
    {
        using var s = new Socket(AddressFamily.InterNetwork, type, protocol);
        try
        {
            s.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [Theory]
    [InlineData(TransportProtocol.Tcp)]
    [InlineData(TransportProtocol.Udp)]
    public void When_the_second_port_is_taken_the_first_listener_is_released(TransportProtocol first)
    {
        var (type, protocol) = first == TransportProtocol.Tcp ? (SocketType.Stream, ProtocolType.Tcp) : (SocketType.Dgram, ProtocolType.Udp);
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var busy = ((IPEndPoint)taken.LocalEndpoint).Port;
        var firstPort = FreePort(type, protocol);

        var options = new NetworkOptions
        {
            Forwards = [new PortForward(first, firstPort, 80), new PortForward(TransportProtocol.Tcp, busy, 81)],
        };
        Assert.Throws<SocketException>(() => new VirtualNetwork(options));

        // Without bind-all-or-none the first forward's socket would stay bound (and accept) after the failure.
        Assert.True(CanBind(firstPort, type, protocol), $"{first} port {firstPort} is still bound after the network failed to start");
    }

    [Fact]
    public async Task Every_forward_is_bound_when_all_ports_are_free()
    {
        var options = new NetworkOptions
        {
            Forwards =
            [
                new PortForward(TransportProtocol.Tcp, 0, 80), new PortForward(TransportProtocol.Udp, 0, 53),
                new PortForward(TransportProtocol.Tcp, 0, 22),
            ],
        };
        await using (var net = new VirtualNetwork(options))
        {
            Assert.Equal(3, net.ForwardEndpoints.Count);
            Assert.All(net.ForwardEndpoints.Values, ep => Assert.NotEqual(0, ep.Port));
            var tcp = net.ForwardEndpoints.Where(kv => kv.Key.Protocol == TransportProtocol.Tcp).Select(kv => kv.Value.Port).ToList();
            Assert.All(tcp, p => Assert.False(CanBind(p, SocketType.Stream, ProtocolType.Tcp)));
        }
    }
}
