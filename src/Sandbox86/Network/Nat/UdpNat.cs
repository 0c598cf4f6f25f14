using System.Net;
using System.Net.Sockets;
using Sandbox86.Network.Gateway;
using Sandbox86.Network.Policy;
using Sandbox86.Network.Wire;

namespace Sandbox86.Network.Nat;

/// <summary>UDP NAT: one connected host socket per guest flow, closed when idle.</summary>
internal sealed class UdpNat(GatewayContext ctx, IFrameEmitter emit, IEgressRouter router, FlowLimiter limiter)
{
    private readonly Dictionary<FlowKey, UdpFlow> _flows = [];

    public int Count => _flows.Count;

    /// <summary>Replies to inbound UDP forwards (gateway:port the forward chose); set once the forwards are bound.</summary>
    public InboundReplyHandler? InboundReplies { get; set; }

    public void Handle(MacAddress guestMac, in Ipv4Header ip, in UdpHeader udp, ReadOnlySpan<byte> data)
    {
        var key = new FlowKey(ip.Source, udp.SourcePort, ip.Destination, udp.DestinationPort);
        if (!_flows.TryGetValue(key, out var flow))
        {
            if (InboundReplies?.Invoke(key, data) == true)
            {
                return;
            }

            var route = router.Route(ip.Destination, udp.DestinationPort, TransportProtocol.Udp);
            if (route.Target is not { } target)
            {
                // Port unreachable tells the guest at once instead of letting it time out.
                SendUnreachable(guestMac, ip, udp, data, code: 13);
                return;
            }

            if (!limiter.TryAcquireFlow())
            {
                ctx.Drops.Add(DropReason.LimitReached);
                return;
            }

            flow = new UdpFlow(ctx, emit, limiter, Remove, key, guestMac, new IPEndPoint(target, udp.DestinationPort));
            _flows[key] = flow;
        }

        flow.SendToHost(data);
    }

    private void SendUnreachable(MacAddress guestMac, in Ipv4Header ip, in UdpHeader udp, ReadOnlySpan<byte> data, byte code)
    {
        // RFC 792: the offending IP header plus the first 8 bytes of its payload.
        var quote = new byte[Ipv4Header.MinLength + UdpHeader.Length];
        new Ipv4Header(0, 0, false, 64, IpProtocol.Udp, ip.Source, ip.Destination, UdpHeader.Length + data.Length).Write(quote);
        new UdpHeader(udp.SourcePort, udp.DestinationPort, 0).Write(quote.AsSpan(Ipv4Header.MinLength), ip.Source, ip.Destination);
        emit.SendIcmp(guestMac, ctx.GatewayIp, ip.Source, new IcmpHeader(IcmpHeader.DestinationUnreachable, code, 0, 0), quote);
    }

    public void Remove(UdpFlow flow)
    {
        if (_flows.Remove(flow.Key))
        {
            limiter.ReleaseFlow();
        }
    }

    public void Poll(long now)
    {
        foreach (var f in _flows.Values.ToList())
        {
            if (ctx.Time.GetElapsedTime(f.LastActivity, now) > ctx.UdpIdleTimeout)
            {
                f.Close();
            }
        }
    }

    public void CloseAll()
    {
        foreach (var f in _flows.Values.ToList())
        {
            f.Close();
        }
    }
}
