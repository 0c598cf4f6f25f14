using System.Net;
using System.Net.Sockets;
using System.Text;
using Sandbox86.Network;
using Sandbox86.Network.Wire;
using Sandbox86.Tests.Network.Fakes;

namespace Sandbox86.Tests.Network.Nat;

public sealed class UdpNatTests
{
    private static (UdpClient, Task) Echo(CancellationToken ct)
    {
        var s = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var loop = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var r = await s.ReceiveAsync(ct);
                    await s.SendAsync(r.Buffer.Reverse().ToArray(), r.RemoteEndPoint, ct);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, ct);
        return (s, loop);
    }

    [Fact]
    public async Task Round_trip_through_host_access_and_idle_expiry()
    {
        using var cts = new CancellationTokenSource();
        var (echo, loop) = Echo(cts.Token);
        using (echo)
        {
            var port = ((IPEndPoint)echo.Client.LocalEndPoint!).Port;
            var time = new ManualTimeProvider();
            await using var net = new VirtualNetwork(new NetworkOptions { HostPorts = [port] }, time);
            await using var g = new FakeGuest(net);
            g.SendUdp(FakeGuest.Gateway, 6000, (ushort)port, "abc"u8);
            var r = await g.ExpectAsync(r => r.Udp is { DestinationPort: 6000 });
            Assert.Equal("cba", Encoding.ASCII.GetString(r.Payload));
            Assert.Equal((FakeGuest.Gateway, (ushort)port), (r.Ip!.Value.Source, r.Udp!.Value.SourcePort));
            Assert.Equal(1, net.Counters.ActiveUdpFlows);
            time.Advance(TimeSpan.FromSeconds(61));
            net.Poll();
            Assert.Equal(0, net.Counters.ActiveUdpFlows);
            await cts.CancelAsync();
            await loop;
        }
    }

    [Fact]
    public async Task Denied_destination_gets_icmp_unreachable()
    {
        await using var net = new VirtualNetwork(new NetworkOptions());
        await using var g = new FakeGuest(net);
        g.SendUdp(Ipv4Address.Parse("192.168.1.1"), 6000, 53, "x"u8);
        var r = await g.ExpectAsync(r => r.Icmp is not null);
        Assert.Equal(IcmpHeader.DestinationUnreachable, r.Icmp!.Value.Type);
        Assert.Equal(1, net.Counters.Drops[DropReason.PolicyDenied]);
    }
}
