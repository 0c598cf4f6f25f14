using System.Net;
using System.Net.Sockets;
using Sandbox86.Network;
using Sandbox86.Network.Wire;
using Sandbox86.Tests.Network.Fakes;

namespace Sandbox86.Tests.Network.Gateway;

public sealed class DnsForwarderTests
{
    /// <summary>A DNS server on 127.0.0.1 answering every A with 203.0.113.7 and every AAAA with 2001:db8::7.</summary>
    private static (UdpClient Server, Task Loop) StartUpstream(CancellationToken ct)
    {
        var server = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var loop = Task.Run(async () =>
        {
            while (!ct.IsCancellationRequested)
            {
                UdpReceiveResult q;
                try
                {
                    q = await server.ReceiveAsync(ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                Assert.True(DnsMessage.TryParse(q.Buffer, out var m, out _));
                var answer = new DnsMessage { Id = m!.Id, Flags = 0x8180, Questions = m.Questions };
                foreach (var question in m.Questions)
                {
                    byte[] data = question.Type == DnsRecord.TypeA ? [203, 0, 113, 7] : IPAddress.Parse("2001:db8::7").GetAddressBytes();
                    answer.Answers.Add(new DnsRecord(question.Name, question.Type, 1, 60, data));
                }

                await server.SendAsync(answer.ToArray(), q.RemoteEndPoint, ct);
            }
        }, ct);
        return (server, loop);
    }

    private static byte[] Query(string name, ushort type)
    {
        var q = new DnsMessage { Id = 99, Flags = 0x0100 };
        q.Questions.Add(new DnsQuestion(name, type, 1));
        return q.ToArray();
    }

    [Theory]
    [InlineData(DnsRecord.TypeA, "203.0.113.7")]
    [InlineData(DnsRecord.TypeAaaa, "2001:db8::7")]
    public async Task Queries_are_forwarded_to_the_upstream_and_answers_returned(ushort type, string expected)
    {
        using var cts = new CancellationTokenSource();
        var (server, loop) = StartUpstream(cts.Token);
        using (server)
        {
            await using var net = new VirtualNetwork(new NetworkOptions { UpstreamDns = (IPEndPoint)server.Client.LocalEndPoint! });
            await using var g = new FakeGuest(net);
            g.SendUdp(FakeGuest.Dns, 5353, 53, Query("svc.example.test", type));
            var r = await g.ExpectAsync(r => r.Udp is { SourcePort: 53 });
            Assert.Equal(FakeGuest.Dns, r.Ip!.Value.Source);
            Assert.True(DnsMessage.TryParse(r.Payload, out var answer, out _));
            Assert.Equal(99, answer!.Id);
            Assert.Equal(IPAddress.Parse(expected), new IPAddress(answer.Answers.Single().Data.Span));
            cts.Cancel();
        }
    }

    [Fact]
    public async Task Denied_domains_get_nxdomain_without_reaching_the_upstream()
    {
        using var upstream = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var options = new NetworkOptions
        {
            UpstreamDns = (IPEndPoint)upstream.Client.LocalEndPoint!,
            Policy = new EgressPolicyOptions { Deny = ["blocked.test"] },
        };
        await using var net = new VirtualNetwork(options);
        await using var g = new FakeGuest(net);
        g.SendUdp(FakeGuest.Dns, 5353, 53, Query("www.blocked.test", DnsRecord.TypeA));
        var r = await g.ExpectAsync(r => r.Udp is { SourcePort: 53 });
        Assert.True(DnsMessage.TryParse(r.Payload, out var answer, out _));
        Assert.Equal(DnsMessage.RcodeNxDomain, answer!.Flags & DnsMessage.RcodeMask);
        Assert.Equal(0, upstream.Available);
    }

    [Fact]
    public async Task Upstream_timeout_gives_servfail()
    {
        using var silent = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        await using var net = new VirtualNetwork(new NetworkOptions
        {
            UpstreamDns = (IPEndPoint)silent.Client.LocalEndPoint!,
            DnsTimeout = TimeSpan.FromMilliseconds(100),
        });
        await using var g = new FakeGuest(net);
        g.SendUdp(FakeGuest.Dns, 5353, 53, Query("slow.test", DnsRecord.TypeA));
        var r = await g.ExpectAsync(r => r.Udp is { SourcePort: 53 });
        Assert.True(DnsMessage.TryParse(r.Payload, out var answer, out _));
        Assert.Equal(2, answer!.Flags & DnsMessage.RcodeMask);
    }
}
