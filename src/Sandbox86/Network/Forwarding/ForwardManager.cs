using System.Net;
using System.Net.Sockets;
using Sandbox86.Network.Gateway;
using Sandbox86.Network.Nat;
using Sandbox86.Network.Wire;

namespace Sandbox86.Network.Forwarding;

/// <summary>Listens on the host for every <see cref="PortForward"/> and opens the matching flows into the guest.</summary>
internal sealed class ForwardManager : IDisposable
{
    private readonly GatewayStack _gw;
    private readonly List<Socket> _listeners = [];
    private readonly Dictionary<ushort, (Socket Socket, EndPoint Peer)> _udpPeers = [];
    private readonly Dictionary<(Socket, EndPoint), ushort> _udpPorts = [];
    private readonly CancellationTokenSource _cts = new();
    private ushort _nextUdpPort = 30000;

    public ForwardManager(GatewayStack gw)
    {
        _gw = gw;
        foreach (var f in gw.Options.Forwards)
        {
            var ep = new IPEndPoint(f.HostAddress, f.HostPort);
            if (f.Protocol == TransportProtocol.Tcp)
            {
                var s = new Socket(ep.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                s.Bind(ep);
                s.Listen(128);
                _listeners.Add(s);
                Endpoints.Add(f with { HostPort = ((IPEndPoint)s.LocalEndPoint!).Port }, (IPEndPoint)s.LocalEndPoint!);
                _ = AcceptAsync(s, f);
            }
            else
            {
                var s = new Socket(ep.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                s.Bind(ep);
                _listeners.Add(s);
                Endpoints.Add(f with { HostPort = ((IPEndPoint)s.LocalEndPoint!).Port }, (IPEndPoint)s.LocalEndPoint!);
                _ = ReceiveUdpAsync(s, f);
            }
        }
    }

    public Dictionary<PortForward, IPEndPoint> Endpoints { get; } = [];

    private Ipv4Address GuestIp(PortForward f) =>
        f.GuestAddress is { } a ? Ipv4Address.From(a)
        : _gw.Dhcp.Leases.Values.DefaultIfEmpty(Ipv4Address.From(_gw.Options.FirstGuest)).Min(x => x.Value) is var v ? new Ipv4Address(v) : default;

    private async Task<MacAddress?> ResolveAsync(Ipv4Address ip)
    {
        for (var i = 0; i < 20; i++)
        {
            if (_gw.TryGetMac(ip, out var mac))
            {
                return mac;
            }

            lock (_gw.Gate)
            {
                if (i % 5 == 0)
                {
                    _gw.SendArpRequest(ip);
                }
            }

            await Task.Delay(50, _cts.Token).ConfigureAwait(false);
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
                Ipv4Address ip;
                lock (_gw.Gate)
                {
                    ip = GuestIp(f);
                }

                if (await ResolveAsync(ip).ConfigureAwait(false) is not { } mac)
                {
                    _gw.Drops.Add(DropReason.NoRoute);
                    s.Dispose();
                    continue;
                }

                lock (_gw.Gate)
                {
                    _gw.Tcp.OpenInbound(s, ip, mac, (ushort)f.GuestPort);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
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
                lock (_gw.Gate)
                {
                    ip = GuestIp(f);
                }

                if (r.ReceivedBytes > _gw.Options.Mtu - 28 || await ResolveAsync(ip).ConfigureAwait(false) is not { } mac)
                {
                    _gw.Drops.Add(DropReason.NoRoute);
                    continue;
                }

                lock (_gw.Gate)
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

                    _gw.SendUdp(mac, _gw.GatewayIp, port, ip, (ushort)f.GuestPort, buf.AsSpan(0, r.ReceivedBytes));
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
        if (key.RemoteIp != _gw.GatewayIp || !_udpPeers.TryGetValue(key.RemotePort, out var peer))
        {
            return false;
        }

        try
        {
            peer.Socket.SendTo(data, SocketFlags.None, peer.Peer);
        }
        catch (SocketException)
        {
            _gw.Drops.Add(DropReason.NoRoute);
        }

        return true;
    }

    public void Dispose()
    {
        _cts.Cancel();
        foreach (var s in _listeners)
        {
            s.Dispose();
        }

        _cts.Dispose();
    }
}
