using System.Net;

namespace Sandbox86.Network;

/// <summary>Configuration of one virtual network (QEMU user-net conventions by default).</summary>
public sealed record NetworkOptions
{
    /// <summary>The guest subnet's network address.</summary>
    public IPAddress Subnet { get; init; } = IPAddress.Parse("10.0.2.0");

    /// <summary>The guest subnet's prefix length.</summary>
    public int PrefixLength { get; init; } = 24;

    /// <summary>The gateway (router, DHCP server, host-access address).</summary>
    public IPAddress Gateway { get; init; } = IPAddress.Parse("10.0.2.2");

    /// <summary>The DNS forwarder's address in the guest subnet.</summary>
    public IPAddress Dns { get; init; } = IPAddress.Parse("10.0.2.3");

    /// <summary>The first address handed out by DHCP.</summary>
    public IPAddress FirstGuest { get; init; } = IPAddress.Parse("10.0.2.15");

    /// <summary>MTU announced by DHCP and used for the MSS.</summary>
    public int Mtu { get; init; } = 1500;

    /// <summary>DHCP lease time.</summary>
    public TimeSpan LeaseTime { get; init; } = TimeSpan.FromDays(1);

    /// <summary>Fixed leases by port name.</summary>
    public IReadOnlyList<StaticLease> StaticLeases { get; init; } = [];

    /// <summary>Upstream DNS server; null reads the first nameserver of <c>/etc/resolv.conf</c>.</summary>
    public IPEndPoint? UpstreamDns { get; init; }

    /// <summary>How long the forwarder waits for the upstream before answering SERVFAIL.</summary>
    public TimeSpan DnsTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Inbound forwards host → guest.</summary>
    public IReadOnlyList<PortForward> Forwards { get; init; } = [];

    /// <summary>Host ports the guest may reach at gateway:PORT (host 127.0.0.1:PORT), TCP and UDP.</summary>
    public IReadOnlyList<int> HostPorts { get; init; } = [];

    /// <summary>Egress policy.</summary>
    public EgressPolicyOptions Policy { get; init; } = new();

    /// <summary>
    /// Every policy denial (destination, port, protocol; denied DNS names) at Debug level. Called on the
    /// stack's thread, so it must be quick; null (the default) logs nothing, counters still count.
    /// </summary>
    public Microsoft.Extensions.Logging.ILogger? Logger { get; init; }

    /// <summary>Limits on flows and bytes.</summary>
    public NetworkLimits Limits { get; init; } = new();

    /// <summary>When set, every frame crossing the switch is written to this pcap file (LINKTYPE_ETHERNET).</summary>
    public string? PcapPath { get; init; }

    /// <summary>Frames queued per port before further frames to it are dropped (never blocks the switch).</summary>
    public int PortQueueCapacity { get; init; } = 4096;

    /// <summary>How long a host dial may take before the guest gets a RST.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>An idle TCP connection is reset after this long.</summary>
    public TimeSpan TcpIdleTimeout { get; init; } = TimeSpan.FromHours(2);

    /// <summary>A UDP flow with no traffic either way is closed after this long.</summary>
    public TimeSpan UdpIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a closed TCP connection lingers to absorb retransmitted FINs.</summary>
    public TimeSpan TimeWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Per-connection buffer, each direction: bounds relay memory when one side is slow.</summary>
    public int TcpBufferSize { get; init; } = 256 * 1024;
}
