using System.Net;
using System.Net.Sockets;
using Sandbox86.Network.Gateway;
using Sandbox86.Network.Wire;

namespace Sandbox86.Network.Nat;

/// <summary>
/// Guest echo requests to the outside go through an unprivileged ping socket when the host allows them
/// (<c>net.ipv4.ping_group_range</c>); otherwise, or when policy denies, the guest gets destination unreachable.
/// </summary>
internal sealed class IcmpProxy(GatewayStack gw)
{
    private const int MaxInFlight = 64;
    private int _inFlight;

    public void Handle(MacAddress guestMac, in Ipv4Header ip, in IcmpHeader icmp, ReadOnlySpan<byte> data)
    {
        var target = gw.HostTarget(ip.Destination, 0, TransportProtocol.Udp, out var reason);
        if (target is null || ip.Destination == gw.GatewayIp)
        {
            gw.Drops.Add(reason);
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
            gw.Drops.Add(DropReason.Unsupported);
            Unreachable(guestMac, ip, icmp, data, 1);
            return;
        }

        if (Interlocked.Increment(ref _inFlight) > MaxInFlight)
        {
            Interlocked.Decrement(ref _inFlight);
            socket.Dispose();
            gw.Drops.Add(DropReason.LimitReached);
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
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5), gw.Time);
                await socket.SendToAsync(request, SocketFlags.None, new IPEndPoint(target, 0), cts.Token).ConfigureAwait(false);
                var buf = new byte[65536];
                var n = await socket.ReceiveAsync(buf, SocketFlags.None, cts.Token).ConfigureAwait(false);
                if (n >= IcmpHeader.Length && buf[0] == IcmpHeader.EchoReply)
                {
                    lock (gw.Gate)
                    {
                        // The kernel rewrote the identifier; the guest must see its own.
                        gw.SendIcmp(guestMac, ip.Destination, ip.Source, new IcmpHeader(IcmpHeader.EchoReply, 0, icmp.Identifier, icmp.Sequence),
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
        lock (gw.Gate)
        {
            gw.SendIcmp(guestMac, gw.GatewayIp, ip.Source, new IcmpHeader(IcmpHeader.DestinationUnreachable, code, 0, 0), quote);
        }
    }
}
