using System.Net;
using System.Net.Sockets;
using Sandbox86.Network;
using Sandbox86.Network.Wire;
using Sandbox86.Tests.Network.Fakes;

namespace Sandbox86.Tests.Network.Policy;

public sealed class DomainPolicyIntegrationTests
{
    [Fact]
    public async Task An_allowed_domain_opens_exactly_the_address_this_network_resolved_for_it()
    {
        using var service = new FakeHostService();
        using var upstream = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var cts = new CancellationTokenSource();
        var dnsLoop = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var q = await upstream.ReceiveAsync(cts.Token);
                    Assert.True(DnsMessage.TryParse(q.Buffer, out var m, out _));
                    var a = new DnsMessage { Id = m!.Id, Flags = 0x8180, Questions = m.Questions };
                    a.Answers.Add(new DnsRecord(m.Questions[0].Name, DnsRecord.TypeA, 1, 60, new byte[] { 127, 0, 0, 1 }));
                    await upstream.SendAsync(a.ToArray(), q.RemoteEndPoint, cts.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        await using var net = new VirtualNetwork(new NetworkOptions
        {
            UpstreamDns = (IPEndPoint)upstream.Client.LocalEndPoint!,
            Policy = new EgressPolicyOptions { Allow = ["svc.test"] },
        });
        await using var g = new FakeGuest(net);
        var loopback = Ipv4Address.Parse("127.0.0.1");

        // Before resolving, loopback is denied like any other local address.
        g.SendTcp(loopback, 41000, (ushort)service.Port, 1, 0, TcpFlags.Syn, 65535);
        await g.ExpectTcpAsync(t => t.Has(TcpFlags.Rst) && t.DestinationPort == 41000);

        var query = new DnsMessage { Id = 5, Flags = 0x0100 };
        query.Questions.Add(new DnsQuestion("api.svc.test", DnsRecord.TypeA, 1));
        g.SendUdp(FakeGuest.Dns, 5353, 53, query.ToArray());
        await g.ExpectAsync(r => r.Udp is { SourcePort: 53 });

        g.SendTcp(loopback, 41001, (ushort)service.Port, 1, 0, TcpFlags.Syn, 65535);
        var synAck = await g.ExpectTcpAsync(t => t.DestinationPort == 41001);
        Assert.True(synAck.Tcp!.Value.Has(TcpFlags.Syn | TcpFlags.Ack));
        using var accepted = await service.AcceptAsync();

        // Other loopback addresses stay denied: the pin is per address.
        g.SendTcp(Ipv4Address.Parse("127.0.0.2"), 41002, (ushort)service.Port, 1, 0, TcpFlags.Syn, 65535);
        await g.ExpectTcpAsync(t => t.Has(TcpFlags.Rst) && t.DestinationPort == 41002);
        await cts.CancelAsync();
        await dnsLoop;
    }
}
