using System.Net;
using System.Net.Sockets;
using Sandbox86.Network.Gateway;
using Sandbox86.Network.Nat;
using Sandbox86.Network.Wire;

namespace Sandbox86.Network.Forwarding;

/// <summary>
/// Listens on the host for every <see cref="PortForward"/> and opens the matching flows into the guest. The
/// constructor binds every listener or none: when one port is taken, those already bound are closed before the
/// error escapes, so a failed network leaves no half-bound host ports behind.
/// </summary>
internal sealed class ForwardManager : IDisposable
{
    /// <summary>
    /// How often a forward looks for its guest's MAC, and for how long (5 s, asking every 250 ms): a guest woken
    /// from idle suspension or just restored on a loaded 2-core host took over 1 s to answer its first ARP
    /// request (the 1 s this was before dropped inbound connections in the full suite).
    /// </summary>
    internal static readonly TimeSpan ArpRetryInterval = TimeSpan.FromMilliseconds(50);
    internal const int ArpAttempts = 100;
    private const int ArpRequestEvery = 5;

    private readonly GatewayContext _ctx;
    private readonly IGuestResolver _guests;
    private readonly IFrameEmitter _emit;
    private readonly Action<Socket, Ipv4Address, MacAddress, ushort> _openTcp;
    private readonly List<Socket> _listeners = [];
    private readonly Dictionary<ushort, (Socket Socket, EndPoint Peer)> _udpPeers = [];
    private readonly Dictionary<(Socket, EndPoint), ushort> _udpPorts = [];
    private readonly CancellationTokenSource _cts = new();
    private ushort _nextUdpPort = 30000;
    private int _disposed;

    /// <param name="ctx">Addresses, clock, drop counters and lock.</param>
    /// <param name="forwards">The forwards to bind.</param>
    /// <param name="guests">Finds the guest address and MAC a forward goes to.</param>
    /// <param name="emit">Sends the inbound UDP datagrams.</param>
    /// <param name="openTcp">Opens an inbound TCP connection into the guest for an accepted host socket (under the lock).</param>
    public ForwardManager(GatewayContext ctx, IReadOnlyList<PortForward> forwards, IGuestResolver guests, IFrameEmitter emit,
        Action<Socket, Ipv4Address, MacAddress, ushort> openTcp)
    {
        _ctx = ctx;
        _guests = guests;
        _emit = emit;
        _openTcp = openTcp;
        try
        {
            foreach (var f in forwards)
            {
                _listeners.Add(Bind(f));
            }
        }
        catch
        {
            Dispose();
            throw;
        }

        // Loops start only once every listener is bound: nothing runs for a network that failed to start.
        for (var i = 0; i < forwards.Count; i++)
        {
            _ = forwards[i].Protocol == TransportProtocol.Tcp ? AcceptAsync(_listeners[i], forwards[i]) : ReceiveUdpAsync(_listeners[i], forwards[i]);
        }
    }

    public Dictionary<PortForward, IPEndPoint> Endpoints { get; } = [];

    private Socket Bind(PortForward f)
    {
        var ep = new IPEndPoint(f.HostAddress, f.HostPort);
        var tcp = f.Protocol == TransportProtocol.Tcp;
        var s = tcp
            ? new Socket(ep.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(ep.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            s.Bind(ep);
            if (tcp)
            {
                s.Listen(128);
            }
        }
        catch
        {
            s.Dispose();
            throw;
        }

        var bound = (IPEndPoint)s.LocalEndPoint!;
        Endpoints.Add(f with { HostPort = bound.Port }, bound);
        return s;
    }

    private Ipv4Address GuestIp(PortForward f) => f.GuestAddress is { } a ? Ipv4Address.From(a) : _guests.DefaultGuest;

    /// <summary>Waits for the guest's MAC on the network's clock, asking again every few intervals.</summary>
    internal async Task<MacAddress?> ResolveAsync(Ipv4Address ip, CancellationToken cancellationToken)
    {
        for (var i = 0; i < ArpAttempts; i++)
        {
            if (_guests.TryGetMac(ip, out var mac))
            {
                return mac;
            }

            if (i % ArpRequestEvery == 0)
            {
                lock (_ctx.Gate)
                {
                    _guests.RequestMac(ip);
                }
            }

            await Task.Delay(ArpRetryInterval, _ctx.Time, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    private async Task AcceptAsync(Socket listener, PortForward f)
    {
        try
        {
            while (true)
            {
                var s = await listener.AcceptAsync(_cts.Token).ConfigureAwait(false);
                // Each connection waits for the guest's MAC on its own, so one slow ARP answer does not hold up the accepts behind it.
                _ = OpenIntoGuestAsync(s, f);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task OpenIntoGuestAsync(Socket s, PortForward f)
    {
        try
        {
            Ipv4Address ip;
            lock (_ctx.Gate)
            {
                ip = GuestIp(f);
            }

            if (await ResolveAsync(ip, _cts.Token).ConfigureAwait(false) is not { } mac)
            {
                _ctx.Drops.Add(DropReason.NoRoute);
                s.Dispose();
                return;
            }

            lock (_ctx.Gate)
            {
                _openTcp(s, ip, mac, (ushort)f.GuestPort);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            s.Dispose();
        }
    }

    private async Task ReceiveUdpAsync(Socket s, PortForward f)
    {
        var buf = new byte[65536];
        var any = new IPEndPoint(s.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        try
        {
            while (true)
            {
                var r = await s.ReceiveFromAsync(buf, SocketFlags.None, any, _cts.Token).ConfigureAwait(false);
                Ipv4Address ip;
                lock (_ctx.Gate)
                {
                    ip = GuestIp(f);
                }

                if (r.ReceivedBytes > _ctx.MaxUdpPayload || await ResolveAsync(ip, _cts.Token).ConfigureAwait(false) is not { } mac)
                {
                    _ctx.Drops.Add(DropReason.NoRoute);
                    continue;
                }

                lock (_ctx.Gate)
                {
                    if (!_udpPorts.TryGetValue((s, r.RemoteEndPoint), out var port))
                    {
                        port = _nextUdpPort = _nextUdpPort >= 39999 ? (ushort)30000 : (ushort)(_nextUdpPort + 1);
                        if (_udpPeers.Remove(port, out var old))
                        {
                            _udpPorts.Remove(old);
                        }

                        _udpPorts[(s, r.RemoteEndPoint)] = port;
                        _udpPeers[port] = (s, r.RemoteEndPoint);
                    }

                    _emit.SendUdp(mac, _ctx.GatewayIp, port, ip, (ushort)f.GuestPort, buf.AsSpan(0, r.ReceivedBytes));
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    /// <summary>A guest datagram to gateway:port that answers an inbound UDP forward.</summary>
    public bool TryHandleGuestReply(FlowKey key, ReadOnlySpan<byte> data)
    {
        if (key.RemoteIp != _ctx.GatewayIp || !_udpPeers.TryGetValue(key.RemotePort, out var peer))
        {
            return false;
        }

        try
        {
            peer.Socket.SendTo(data, SocketFlags.None, peer.Peer);
        }
        catch (SocketException)
        {
            _ctx.Drops.Add(DropReason.NoRoute);
        }

        return true;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _cts.Cancel();
        foreach (var s in _listeners)
        {
            s.Dispose();
        }

        _cts.Dispose();
    }
}
