using System.Net;
using System.Net.Sockets;
using Sandbox86.Network.Wire;

namespace Sandbox86.IntegrationTests.Infrastructure;

/// <summary>An authoritative-for-everything DNS server on 127.0.0.1 answering A queries from a fixed table.</summary>
internal sealed class TestDnsServer : IAsyncDisposable
{
    private readonly UdpClient _udp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly IReadOnlyDictionary<string, IPAddress> _names;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public TestDnsServer(IReadOnlyDictionary<string, IPAddress> names)
    {
        _names = names;
        _loop = Task.Run(ServeAsync);
    }

    public IPEndPoint Endpoint => (IPEndPoint)_udp.Client.LocalEndPoint!;

    public int Queries;

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult request;
            try
            {
                request = await _udp.ReceiveAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (!DnsMessage.TryParse(request.Buffer, out var query, out _) || query is null || query.Questions.Count == 0)
            {
                continue;
            }

            Interlocked.Increment(ref Queries);
            var question = query.Questions[0];
            var known = _names.TryGetValue(question.Name.TrimEnd('.'), out var address);
            var answers = known && question.Type == DnsRecord.TypeA
                ? new List<DnsRecord> { new(question.Name, DnsRecord.TypeA, 1, 60, address!.GetAddressBytes()) }
                : [];
            var reply = new DnsMessage
            {
                Id = query.Id,
                Flags = (ushort)(DnsMessage.FlagResponse | 0x0100 | 0x0080 | (known ? 0 : DnsMessage.RcodeNxDomain)),
                Questions = [question],
                Answers = answers,
            };
            await _udp.SendAsync(reply.ToArray(), request.RemoteEndPoint);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        await _loop;
        _stop.Dispose();
    }
}
