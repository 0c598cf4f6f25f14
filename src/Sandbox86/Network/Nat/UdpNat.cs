using System.Net;
using System.Net.Sockets;
using Sandbox86.Network.Gateway;
using Sandbox86.Network.Wire;

namespace Sandbox86.Network.Nat;

/// <summary>UDP NAT: one connected host socket per guest flow, closed when idle.</summary>
internal sealed class UdpNat(GatewayStack gw)
{
    private readonly Dictionary<FlowKey, UdpFlow> _flows = [];

    public int Count => _flows.Count;

    public void Handle(MacAddress guestMac, in Ipv4Header ip, in UdpHeader udp, ReadOnlySpan<byte> data)
    {
        var key = new FlowKey(ip.Source, udp.SourcePort, ip.Destination, udp.DestinationPort);
        if (!_flows.TryGetValue(key, out var flow))
        {
            if (gw.Forwards?.TryHandleGuestReply(key, data) == true)
            {
                return;
            }

            var target = gw.HostTarget(ip.Destination, udp.DestinationPort, TransportProtocol.Udp, out var reason);
            if (target is null)
            {
                gw.Drops.Add(reason);
                // Port unreachable tells the guest at once instead of letting it time out.
                SendUnreachable(guestMac, ip, udp, data, code: 13);
                return;
            }

            if (!gw.Limiter.TryAcquireFlow())
            {
                gw.Drops.Add(DropReason.LimitReached);
                return;
            }

            flow = new UdpFlow(gw, this, key, guestMac, new IPEndPoint(target, udp.DestinationPort));
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
        gw.SendIcmp(guestMac, gw.GatewayIp, ip.Source, new IcmpHeader(IcmpHeader.DestinationUnreachable, code, 0, 0), quote);
    }

    public void Remove(UdpFlow flow)
    {
        if (_flows.Remove(flow.Key))
        {
            gw.Limiter.ReleaseFlow();
        }
    }

    public void Poll(long now)
    {
        foreach (var f in _flows.Values.ToList())
        {
            if (gw.Time.GetElapsedTime(f.LastActivity, now) > gw.Options.UdpIdleTimeout)
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
