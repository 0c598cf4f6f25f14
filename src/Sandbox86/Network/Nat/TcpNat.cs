using System.Net;
using System.Net.Sockets;
using Sandbox86.Network.Gateway;
using Sandbox86.Network.Policy;
using Sandbox86.Network.Wire;

namespace Sandbox86.Network.Nat;

/// <summary>
/// The TCP connection table: opens NAT connections on guest SYNs and inbound forwards, dispatches segments. It asks
/// the router where a flow may go and the limiter whether another fits; it sends only through the emitter.
/// </summary>
internal sealed class TcpNat(GatewayContext ctx, IFrameEmitter emit, IEgressRouter router, FlowLimiter limiter)
{
    private readonly Dictionary<FlowKey, TcpConnection> _connections = [];
    private ushort _nextPort = 49152;

    public int Count => _connections.Count;

    internal IEnumerable<TcpConnection> Connections => _connections.Values;

    public void Handle(MacAddress guestMac, in Ipv4Header ip, in TcpHeader tcp, ReadOnlySpan<byte> data)
    {
        var key = new FlowKey(ip.Source, tcp.SourcePort, ip.Destination, tcp.DestinationPort);
        if (_connections.TryGetValue(key, out var c))
        {
            if (!(c.State == TcpState.TimeWait && tcp.Has(TcpFlags.Syn) && !tcp.Has(TcpFlags.Ack)))
            {
                c.OnSegment(tcp, data);
                return;
            }

            // RFC 9293 §3.10.7.4: a new SYN may reopen a connection in TIME-WAIT.
            c.Abort(sendReset: false);
        }

        if (tcp.Has(TcpFlags.Rst))
        {
            return;
        }

        if (!tcp.Has(TcpFlags.Syn) || tcp.Has(TcpFlags.Ack))
        {
            ctx.Drops.Add(DropReason.TcpInvalid);
            SendReset(guestMac, key, tcp, data.Length);
            return;
        }

        var route = router.Route(ip.Destination, tcp.DestinationPort, TransportProtocol.Tcp);
        if (route.Target is not { } target)
        {
            SendReset(guestMac, key, tcp, data.Length);
            return;
        }

        if (!limiter.TryAcquireFlow())
        {
            ctx.Drops.Add(DropReason.LimitReached);
            SendReset(guestMac, key, tcp, data.Length);
            return;
        }

        var conn = new TcpConnection(ctx, emit, limiter, Remove, key, guestMac);
        _connections[key] = conn;
        conn.StartDial(tcp, new IPEndPoint(target, tcp.DestinationPort));
    }

    /// <summary>Opens a connection to the guest for an accepted host socket (inbound forward).</summary>
    public void OpenInbound(Socket accepted, Ipv4Address guestIp, MacAddress guestMac, ushort guestPort)
    {
        if (!limiter.TryAcquireFlow())
        {
            ctx.Drops.Add(DropReason.LimitReached);
            accepted.Dispose();
            return;
        }

        FlowKey key;
        do
        {
            _nextPort = _nextPort >= 65000 ? (ushort)49152 : (ushort)(_nextPort + 1);
            key = new FlowKey(guestIp, guestPort, ctx.GatewayIp, _nextPort);
        }
        while (_connections.ContainsKey(key));

        var conn = new TcpConnection(ctx, emit, limiter, Remove, key, guestMac);
        _connections[key] = conn;
        conn.StartInbound(accepted);
    }

    public void Remove(TcpConnection c)
    {
        if (_connections.Remove(c.Key))
        {
            limiter.ReleaseFlow();
        }
    }

    public void Poll(long now)
    {
        foreach (var c in _connections.Values.ToList())
        {
            c.Poll(now);
        }
    }

    public void AbortAll()
    {
        foreach (var c in _connections.Values.ToList())
        {
            c.Abort(sendReset: true);
        }
    }

    /// <summary>RFC 9293 §3.10.7.1: the reset for a segment that matches no connection.</summary>
    private void SendReset(MacAddress guestMac, FlowKey key, in TcpHeader tcp, int dataLength)
    {
        TcpHeader rst = tcp.Has(TcpFlags.Ack)
            ? new(key.RemotePort, key.GuestPort, tcp.Acknowledgment, 0, TcpFlags.Rst, 0, default)
            : new(key.RemotePort, key.GuestPort, 0,
                tcp.Sequence + (uint)dataLength + (tcp.Has(TcpFlags.Syn) ? 1u : 0) + (tcp.Has(TcpFlags.Fin) ? 1u : 0),
                TcpFlags.Rst | TcpFlags.Ack, 0, default);
        emit.SendTcp(guestMac, key.RemoteIp, key.GuestIp, rst, []);
    }
}
