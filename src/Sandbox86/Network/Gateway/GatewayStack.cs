using Sandbox86.Network.Forwarding;
using Sandbox86.Network.Nat;
using Sandbox86.Network.Policy;
using Sandbox86.Network.Switching;
using Sandbox86.Network.Wire;

namespace Sandbox86.Network.Gateway;

/// <summary>
/// The gateway port: answers ARP for the gateway and DNS addresses, ICMP echo, DHCP and DNS, and hands everything
/// leaving the subnet to NAT. It parses and dispatches; the parts it composes get only what they use: the
/// <see cref="GatewayContext"/>, the <see cref="IFrameEmitter"/>, the <see cref="IEgressRouter"/> (or its domain
/// rules) and the <see cref="FlowLimiter"/>. Every method runs under the network's lock.
/// </summary>
internal sealed class GatewayStack : SwitchPortBase, IGuestResolver
{
    public static readonly MacAddress Mac = new(0x5255_0a00_0202);

    private readonly Dictionary<Ipv4Address, MacAddress> _arp = [];
    private readonly Ipv4Address _firstGuest;

    public GatewayStack(NetworkOptions options, EthernetSwitch sw, TimeProvider time, DropCounters drops)
        : base("gateway")
    {
        Context = GatewayContext.From(options, Mac, time, drops, sw.Gate);
        Emitter = new FrameEmitter(sw, Mac);
        Router = new EgressRouter(Context, new EgressPolicy(options.Policy), options.HostPorts, options.Logger);
        Limiter = new FlowLimiter(options.Limits, time);
        _firstGuest = Ipv4Address.From(options.FirstGuest);
        Dhcp = new DhcpServer(Context, Emitter, options.StaticLeases, _firstGuest, options.LeaseTime);
        Dns = new DnsForwarder(Context, Emitter, Router, options.UpstreamDns ?? ResolvConf.FirstNameserver());
        Tcp = new TcpNat(Context, Emitter, Router, Limiter);
        Udp = new UdpNat(Context, Emitter, Router, Limiter);
        Icmp = new IcmpProxy(Context, Emitter, Router);
    }

    public GatewayContext Context { get; }
    public IFrameEmitter Emitter { get; }
    public EgressRouter Router { get; }
    public FlowLimiter Limiter { get; }
    public DhcpServer Dhcp { get; }
    public DnsForwarder Dns { get; }
    public TcpNat Tcp { get; }
    public UdpNat Udp { get; }
    public IcmpProxy Icmp { get; }

    private DropCounters Drops => Context.Drops;
    private Ipv4Address GatewayIp => Context.GatewayIp;
    private Ipv4Address DnsIp => Context.DnsIp;

    public Ipv4Address DefaultGuest =>
        new(Dhcp.Leases.Values.DefaultIfEmpty(_firstGuest).Min(x => x.Value));

    public bool TryGetMac(Ipv4Address ip, out MacAddress mac)
    {
        lock (Context.Gate)
        {
            return _arp.TryGetValue(ip, out mac);
        }
    }

    public void RequestMac(Ipv4Address ip) =>
        Emitter.SendArp(MacAddress.Broadcast, new ArpPacket(ArpPacket.Request, Mac, GatewayIp, default, ip));

    public override void Deliver(ReadOnlyMemory<byte> frame, SwitchPortBase? ingress)
    {
        var span = frame.Span;
        if (!EthernetHeader.TryParse(span, out var eth, out var reason))
        {
            Drops.Add(reason);
            return;
        }

        switch (eth.EtherType)
        {
            case EtherType.Arp:
                HandleArp(eth, span[EthernetHeader.Length..]);
                break;
            case EtherType.Ipv4:
                HandleIpv4(eth, span[EthernetHeader.Length..], ingress);
                break;
            default:
                // IPv6 and the rest: the stack is IPv4-only toward guests.
                Drops.Add(DropReason.Unsupported);
                break;
        }
    }

    private void HandleArp(in EthernetHeader eth, ReadOnlySpan<byte> p)
    {
        if (!ArpPacket.TryParse(p, out var arp, out var reason))
        {
            Drops.Add(reason);
            return;
        }

        if (Context.InSubnet(arp.SenderIp) && arp.SenderIp != GatewayIp && arp.SenderIp != DnsIp && !arp.SenderMac.IsGroup)
        {
            _arp[arp.SenderIp] = arp.SenderMac;
        }

        if (arp.Operation == ArpPacket.Request && (arp.TargetIp == GatewayIp || arp.TargetIp == DnsIp))
        {
            Emitter.SendArp(eth.Source, new ArpPacket(ArpPacket.Reply, Mac, arp.TargetIp, arp.SenderMac, arp.SenderIp));
        }
    }

    private void HandleIpv4(in EthernetHeader eth, ReadOnlySpan<byte> p, SwitchPortBase? ingress)
    {
        if (!Ipv4Header.TryParse(p, out var ip, out var hl, out var reason))
        {
            Drops.Add(reason);
            return;
        }

        var payload = p.Slice(hl, ip.PayloadLength);
        if (Context.InSubnet(ip.Source) && ip.Source != GatewayIp && ip.Source != DnsIp)
        {
            _arp[ip.Source] = eth.Source;
        }
        else if (ip.Source != Ipv4Address.Any)
        {
            // A guest may only speak from its own subnet (DHCP clients use 0.0.0.0).
            Drops.Add(DropReason.BadSource);
            return;
        }

        switch (ip.Protocol)
        {
            case IpProtocol.Udp:
                if (!UdpHeader.TryParse(payload, ip.Source, ip.Destination, out var udp, out reason))
                {
                    Drops.Add(reason);
                    return;
                }

                HandleUdp(eth, ip, udp, payload.Slice(UdpHeader.Length, udp.PayloadLength), ingress);
                break;
            case IpProtocol.Tcp:
                if (ip.Source == Ipv4Address.Any)
                {
                    Drops.Add(DropReason.BadSource);
                    return;
                }

                if (!TcpHeader.TryParse(payload, ip.Source, ip.Destination, out var tcp, out var thl, out reason))
                {
                    Drops.Add(reason);
                    return;
                }

                Tcp.Handle(eth.Source, ip, tcp, payload[thl..]);
                break;
            case IpProtocol.Icmp:
                if (!IcmpHeader.TryParse(payload, out var icmp, out reason))
                {
                    Drops.Add(reason);
                    return;
                }

                HandleIcmp(eth, ip, icmp, payload[IcmpHeader.Length..]);
                break;
            default:
                Drops.Add(DropReason.Unsupported);
                break;
        }
    }

    private void HandleUdp(in EthernetHeader eth, in Ipv4Header ip, in UdpHeader udp, ReadOnlySpan<byte> data, SwitchPortBase? ingress)
    {
        if (udp.DestinationPort == 67 && udp.SourcePort == 68)
        {
            // The ACK binds the address to the asking MAC: remember it, so an inbound forward reaches a guest that
            // has not yet sent a frame from that address (one just restored or woken from idle suspension, which
            // may take seconds to answer an ARP request on a loaded host).
            if (Dhcp.Handle(eth, data, ingress) is { } bound && !eth.Source.IsGroup)
            {
                _arp[bound] = eth.Source;
            }

            return;
        }

        if (ip.Source == Ipv4Address.Any)
        {
            Drops.Add(DropReason.BadSource);
            return;
        }

        if (ip.Destination == DnsIp && udp.DestinationPort == 53)
        {
            Dns.Handle(eth.Source, ip.Source, udp.SourcePort, data);
            return;
        }

        if (ip.Destination == DnsIp || ip.Destination == Context.SubnetBroadcast || ip.Destination == Ipv4Address.Broadcast
            || (Context.InSubnet(ip.Destination) && ip.Destination != GatewayIp))
        {
            Drops.Add(DropReason.NoRoute);
            return;
        }

        Udp.Handle(eth.Source, ip, udp, data);
    }

    private void HandleIcmp(in EthernetHeader eth, in Ipv4Header ip, in IcmpHeader icmp, ReadOnlySpan<byte> data)
    {
        if (icmp.Type != IcmpHeader.EchoRequest || ip.Source == Ipv4Address.Any)
        {
            Drops.Add(DropReason.Unsupported);
            return;
        }

        if (ip.Destination == GatewayIp || ip.Destination == DnsIp)
        {
            Emitter.SendIcmp(eth.Source, ip.Destination, ip.Source, new IcmpHeader(IcmpHeader.EchoReply, 0, icmp.Identifier, icmp.Sequence), data);
            return;
        }

        Icmp.Handle(eth.Source, ip, icmp, data);
    }
}
