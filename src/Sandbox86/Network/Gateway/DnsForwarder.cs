using System.Net;
using System.Net.Sockets;
using Sandbox86.Network.Policy;
using Sandbox86.Network.Wire;

namespace Sandbox86.Network.Gateway;

/// <summary>
/// Forwards guest queries sent to the DNS address to the upstream resolver. Queries for denied domains get NXDOMAIN
/// without leaving the host; A/AAAA answers are pinned to the names asked so domain rules can match them.
/// </summary>
internal sealed class DnsForwarder(GatewayContext ctx, IFrameEmitter emit, IDomainPolicy domains, IPEndPoint? upstream)
{
    private const int MaxInFlight = 256;
    private readonly IPEndPoint? _upstream = upstream;
    private int _inFlight;

    public void Handle(MacAddress guestMac, Ipv4Address guestIp, ushort guestPort, ReadOnlySpan<byte> query)
    {
        if (!DnsMessage.TryParse(query, out var msg, out var reason) || (msg!.Flags & DnsMessage.FlagResponse) != 0
            || msg.Questions.Count == 0)
        {
            ctx.Drops.Add(reason == default ? DropReason.BadDns : reason);
            return;
        }

        if (domains.DeniesQuery(msg.Questions.Select(q => q.Name).ToList()))
        {
            Reply(guestMac, guestIp, guestPort, Error(msg, DnsMessage.RcodeNxDomain));
            return;
        }

        if (_upstream is null || Interlocked.Increment(ref _inFlight) > MaxInFlight)
        {
            if (_upstream is not null)
            {
                Interlocked.Decrement(ref _inFlight);
            }

            ctx.Drops.Add(DropReason.LimitReached);
            Reply(guestMac, guestIp, guestPort, Error(msg, 2));
            return;
        }

        _ = ForwardAsync(guestMac, guestIp, guestPort, msg, query.ToArray());
    }

    private static byte[] Error(DnsMessage query, ushort rcode)
    {
        var m = new DnsMessage
        {
            Id = query.Id,
            Flags = (ushort)(DnsMessage.FlagResponse | (query.Flags & 0x0100) | 0x0080 | rcode),
            Questions = query.Questions,
        };
        return m.ToArray();
    }

    private async Task ForwardAsync(MacAddress guestMac, Ipv4Address guestIp, ushort guestPort, DnsMessage msg, byte[] query)
    {
        try
        {
            using var cts = new CancellationTokenSource(ctx.DnsTimeout, ctx.Time);
            using var socket = new Socket(_upstream!.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            await socket.ConnectAsync(_upstream, cts.Token).ConfigureAwait(false);
            await socket.SendAsync(query, cts.Token).ConfigureAwait(false);
            var buf = new byte[4096];
            while (true)
            {
                var n = await socket.ReceiveAsync(buf, cts.Token).ConfigureAwait(false);
                if (!DnsMessage.TryParse(buf.AsSpan(0, n), out var answer, out _) || answer!.Id != msg.Id)
                {
                    continue;
                }

                var names = answer.Questions.Select(q => q.Name).Concat(answer.Answers.Select(a => a.Name)).Distinct().ToList();
                if (domains.DeniesAnswer(names))
                {
                    Reply(guestMac, guestIp, guestPort, Error(msg, DnsMessage.RcodeNxDomain));
                    return;
                }

                foreach (var a in answer.Answers.Where(a => a.Type is DnsRecord.TypeA or DnsRecord.TypeAaaa))
                {
                    var addr = new IPAddress(a.Data.Span);
                    foreach (var name in names)
                    {
                        domains.Pin(name, addr);
                    }
                }

                Reply(guestMac, guestIp, guestPort, buf.AsSpan(0, n));
                return;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            Reply(guestMac, guestIp, guestPort, Error(msg, 2));
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private void Reply(MacAddress guestMac, Ipv4Address guestIp, ushort guestPort, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > ctx.MaxUdpPayload)
        {
            // Too big for one datagram without fragments: truncate to the header and set TC so the guest retries on TCP.
            var tc = payload[..DnsMessage.HeaderLength].ToArray();
            tc[2] |= 0x02;
            tc[4] = tc[5] = tc[6] = tc[7] = tc[8] = tc[9] = tc[10] = tc[11] = 0;
            payload = tc;
        }

        emit.SendUdp(guestMac, ctx.DnsIp, 53, guestIp, guestPort, payload);
    }
}
