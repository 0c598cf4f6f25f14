using System.Net;
using System.Net.Sockets;
using Sandbox86.Network.Gateway;
using Sandbox86.Network.Policy;
using Sandbox86.Network.Wire;

namespace Sandbox86.Network.Nat;

/// <summary>
/// Guest echo requests to the outside go through an unprivileged ping socket when the host allows them
/// (<c>net.ipv4.ping_group_range</c>); otherwise, or when policy denies, the guest gets destination unreachable.
/// </summary>
internal sealed class IcmpProxy(GatewayContext ctx, IFrameEmitter emit, IEgressRouter router)
{
    private const int MaxInFlight = 64;
    private int _inFlight;

    public void Handle(MacAddress guestMac, in Ipv4Header ip, in IcmpHeader icmp, ReadOnlySpan<byte> data)
    {
        // Port 0 under the UDP rules: echo has no port, so host access (gateway:PORT) never matches it.
        var route = router.Route(ip.Destination, 0, TransportProtocol.Udp);
        if (route.Kind != EgressRouteKind.Internet || route.Target is not { } target)
        {
            if (route.Kind != EgressRouteKind.Denied)
            {
                // Only echo to the outside is proxied; the router counts its own denials.
                ctx.Drops.Add(DropReason.PolicyDenied);
            }

            Unreachable(guestMac, ip, icmp, data, 13);
            return;
        }

        Socket socket;
        try
        {
            socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Icmp);
        }
        catch (SocketException)
        {
            ctx.Drops.Add(DropReason.Unsupported);
            Unreachable(guestMac, ip, icmp, data, 1);
            return;
        }

        if (Interlocked.Increment(ref _inFlight) > MaxInFlight)
        {
            Interlocked.Decrement(ref _inFlight);
            socket.Dispose();
            ctx.Drops.Add(DropReason.LimitReached);
            return;
        }

        _ = PingAsync(socket, guestMac, ip, icmp, data.ToArray(), target);
    }

    private async Task PingAsync(Socket socket, MacAddress guestMac, Ipv4Header ip, IcmpHeader icmp, byte[] data, IPAddress target)
    {
        try
        {
            using (socket)
            {
                var request = new byte[IcmpHeader.Length + data.Length];
                data.CopyTo(request, IcmpHeader.Length);
                icmp.Write(request);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5), ctx.Time);
                await socket.SendToAsync(request, SocketFlags.None, new IPEndPoint(target, 0), cts.Token).ConfigureAwait(false);
                var buf = new byte[65536];
                var n = await socket.ReceiveAsync(buf, SocketFlags.None, cts.Token).ConfigureAwait(false);
                if (n >= IcmpHeader.Length && buf[0] == IcmpHeader.EchoReply)
                {
                    lock (ctx.Gate)
                    {
                        // The kernel rewrote the identifier; the guest must see its own.
                        emit.SendIcmp(guestMac, ip.Destination, ip.Source, new IcmpHeader(IcmpHeader.EchoReply, 0, icmp.Identifier, icmp.Sequence),
                            buf.AsSpan(IcmpHeader.Length, n - IcmpHeader.Length));
                    }
                }
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private void Unreachable(MacAddress guestMac, in Ipv4Header ip, in IcmpHeader icmp, ReadOnlySpan<byte> data, byte code)
    {
        var quote = new byte[Ipv4Header.MinLength + IcmpHeader.Length];
        new Ipv4Header(0, 0, false, 64, IpProtocol.Icmp, ip.Source, ip.Destination, IcmpHeader.Length + data.Length).Write(quote);
        icmp.Write(quote.AsSpan(Ipv4Header.MinLength, IcmpHeader.Length));
        lock (ctx.Gate)
        {
            emit.SendIcmp(guestMac, ctx.GatewayIp, ip.Source, new IcmpHeader(IcmpHeader.DestinationUnreachable, code, 0, 0), quote);
        }
    }
}
