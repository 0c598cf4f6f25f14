using Sandbox86.Network.Wire;

namespace Sandbox86.Network.Gateway;

/// <summary>
/// What every part of the gateway may read and nothing more: its addresses and MAC, the MTU and timeouts, the clock,
/// the drop counters and the network's lock. Immutable; built once per network from <see cref="NetworkOptions"/>.
/// </summary>
internal sealed record GatewayContext
{
    public required MacAddress Mac { get; init; }
    public required Ipv4Address GatewayIp { get; init; }
    public required Ipv4Address DnsIp { get; init; }
    public required Ipv4Address Mask { get; init; }
    public required Ipv4Address SubnetIp { get; init; }
    public required int Mtu { get; init; }
    public required int TcpBufferSize { get; init; }
    public required TimeSpan ConnectTimeout { get; init; }
    public required TimeSpan TcpIdleTimeout { get; init; }
    public required TimeSpan UdpIdleTimeout { get; init; }
    public required TimeSpan TimeWait { get; init; }
    public required TimeSpan DnsTimeout { get; init; }
    public required TimeProvider Time { get; init; }
    public required DropCounters Drops { get; init; }

    /// <summary>The network's lock: every table of the stack is touched only under it.</summary>
    public required object Gate { get; init; }

    /// <summary>TCP MSS toward the guest: MTU minus the IPv4 and TCP headers without options.</summary>
    public int Mss => Mtu - 40;

    /// <summary>The largest UDP payload one unfragmented datagram carries (the stack never emits fragments).</summary>
    public int MaxUdpPayload => Mtu - 28;

    public Ipv4Address SubnetBroadcast => new(SubnetIp.Value | ~Mask.Value);

    public bool InSubnet(Ipv4Address a) => (a.Value & Mask.Value) == SubnetIp.Value;

    public static GatewayContext From(NetworkOptions options, MacAddress mac, TimeProvider time, DropCounters drops, object gate)
    {
        var mask = new Ipv4Address(options.PrefixLength == 0 ? 0 : uint.MaxValue << (32 - options.PrefixLength));
        return new GatewayContext
        {
            Mac = mac,
            GatewayIp = Ipv4Address.From(options.Gateway),
            DnsIp = Ipv4Address.From(options.Dns),
            Mask = mask,
            SubnetIp = new Ipv4Address(Ipv4Address.From(options.Subnet).Value & mask.Value),
            Mtu = options.Mtu,
            TcpBufferSize = options.TcpBufferSize,
            ConnectTimeout = options.ConnectTimeout,
            TcpIdleTimeout = options.TcpIdleTimeout,
            UdpIdleTimeout = options.UdpIdleTimeout,
            TimeWait = options.TimeWait,
            DnsTimeout = options.DnsTimeout,
            Time = time,
            Drops = drops,
            Gate = gate,
        };
    }
}
