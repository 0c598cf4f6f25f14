using System.Net;
using Sandbox86.Network.Forwarding;
using Sandbox86.Network.Nat;
using Sandbox86.Network.Policy;
using Sandbox86.Network.Switching;
using Sandbox86.Network.Wire;

namespace Sandbox86.Network.Gateway;

/// <summary>
/// The gateway port: answers ARP for the gateway and DNS addresses, ICMP echo, DHCP and DNS, and hands everything
/// leaving the subnet to NAT. Every method runs under the network's lock.
/// </summary>
internal sealed partial class GatewayStack : SwitchPortBase
{
    public static readonly MacAddress Mac = new(0x5255_0a00_0202);

    private readonly Dictionary<Ipv4Address, MacAddress> _arp = [];

    public GatewayStack(NetworkOptions options, EthernetSwitch sw, TimeProvider time, DropCounters drops)
        : base("gateway")
    {
        Options = options;
        Switch = sw;
        Time = time;
        Drops = drops;
        GatewayIp = Ipv4Address.From(options.Gateway);
        DnsIp = Ipv4Address.From(options.Dns);
        Mask = new Ipv4Address(options.PrefixLength == 0 ? 0 : uint.MaxValue << (32 - options.PrefixLength));
        SubnetIp = new Ipv4Address(Ipv4Address.From(options.Subnet).Value & Mask.Value);
        Policy = new EgressPolicy(options.Policy);
        Limiter = new FlowLimiter(options.Limits, time);
        Dhcp = new DhcpServer(this);
        Dns = new DnsForwarder(this);
        Tcp = new TcpNat(this);
        Udp = new UdpNat(this);
        Icmp = new IcmpProxy(this);
    }

    public NetworkOptions Options { get; }
    public EthernetSwitch Switch { get; }
    public TimeProvider Time { get; }
    public DropCounters Drops { get; }
    public Ipv4Address GatewayIp { get; }
    public Ipv4Address DnsIp { get; }
    public Ipv4Address Mask { get; }
    public Ipv4Address SubnetIp { get; }
    public EgressPolicy Policy { get; }
    public FlowLimiter Limiter { get; }
    public DhcpServer Dhcp { get; }
    public DnsForwarder Dns { get; }
    public TcpNat Tcp { get; }
    public UdpNat Udp { get; }
    public IcmpProxy Icmp { get; }
    public ForwardManager? Forwards { get; set; }
    public object Gate => Switch.Gate;
    public int Mss => Options.Mtu - 40;

    public bool InSubnet(Ipv4Address a) => (a.Value & Mask.Value) == SubnetIp.Value;

    public Ipv4Address SubnetBroadcast => new(SubnetIp.Value | ~Mask.Value);

    public bool TryGetMac(Ipv4Address ip, out MacAddress mac)
    {
        lock (Gate)
        {
            return _arp.TryGetValue(ip, out mac);
        }
    }

    /// <summary>Maps the address a guest dialled to the host address the stack really connects to.</summary>
    public IPAddress? HostTarget(Ipv4Address dst, int port, TransportProtocol protocol, out DropReason reason)
    {
        reason = DropReason.PolicyDenied;
        if (dst == GatewayIp)
        {
            // Host access: only the ports the user listed, and only ever host loopback.
            if (Options.HostPorts.Contains(port))
            {
                return IPAddress.Loopback;
            }

            Options.DebugLog?.Invoke($"denied {protocol.ToString().ToLowerInvariant()} to the host port {port} (not among the allowed host ports)");
            return null;
        }

        if (InSubnet(dst) || dst == Ipv4Address.Broadcast)
        {
            reason = DropReason.NoRoute;
            return null;
        }

        var ip = dst.ToIPAddress();
        if (Policy.Allows(ip))
        {
            return ip;
        }

        Options.DebugLog?.Invoke($"denied {protocol.ToString().ToLowerInvariant()} to {ip}{(port == 0 ? "" : ":" + port)} (egress policy)");
        return null;
    }

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

        if (InSubnet(arp.SenderIp) && arp.SenderIp != GatewayIp && arp.SenderIp != DnsIp && !arp.SenderMac.IsGroup)
        {
            _arp[arp.SenderIp] = arp.SenderMac;
        }

        if (arp.Operation == ArpPacket.Request && (arp.TargetIp == GatewayIp || arp.TargetIp == DnsIp))
        {
            var reply = new ArpPacket(ArpPacket.Reply, Mac, arp.TargetIp, arp.SenderMac, arp.SenderIp);
            Switch.FromGateway(FrameBuilder.Arp(eth.Source, Mac, reply));
        }
    }

    /// <summary>Asks the subnet who has <paramref name="ip"/> (used before opening inbound forwards).</summary>
    public void SendArpRequest(Ipv4Address ip) =>
        Switch.FromGateway(FrameBuilder.Arp(MacAddress.Broadcast, Mac, new ArpPacket(ArpPacket.Request, Mac, GatewayIp, default, ip)));

    private void HandleIpv4(in EthernetHeader eth, ReadOnlySpan<byte> p, SwitchPortBase? ingress)
    {
        if (!Ipv4Header.TryParse(p, out var ip, out var hl, out var reason))
        {
            Drops.Add(reason);
            return;
        }

        var payload = p.Slice(hl, ip.PayloadLength);
        if (InSubnet(ip.Source) && ip.Source != GatewayIp && ip.Source != DnsIp)
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
            Dhcp.Handle(eth, data, ingress);
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

        if (ip.Destination == DnsIp || ip.Destination == SubnetBroadcast || ip.Destination == Ipv4Address.Broadcast
            || (InSubnet(ip.Destination) && ip.Destination != GatewayIp))
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
            SendIcmp(eth.Source, ip.Destination, ip.Source, new IcmpHeader(IcmpHeader.EchoReply, 0, icmp.Identifier, icmp.Sequence), data);
            return;
        }

        Icmp.Handle(eth.Source, ip, icmp, data);
    }

    public void SendIcmp(MacAddress guestMac, Ipv4Address from, Ipv4Address to, in IcmpHeader icmp, ReadOnlySpan<byte> data) =>
        Switch.FromGateway(FrameBuilder.Icmp(guestMac, Mac, from, to, icmp, data));

    public void SendUdp(MacAddress guestMac, Ipv4Address from, ushort fromPort, Ipv4Address to, ushort toPort, ReadOnlySpan<byte> data) =>
        Switch.FromGateway(FrameBuilder.Udp(guestMac, Mac, from, to, fromPort, toPort, data));

    public void SendTcp(MacAddress guestMac, Ipv4Address from, Ipv4Address to, in TcpHeader tcp, ReadOnlySpan<byte> data) =>
        Switch.FromGateway(FrameBuilder.Tcp(guestMac, Mac, from, to, tcp, data));
}
