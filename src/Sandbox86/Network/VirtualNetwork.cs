using System.Net;
using Sandbox86.Network.Capture;
using Sandbox86.Network.Forwarding;
using Sandbox86.Network.Gateway;
using Sandbox86.Network.Switching;
using Sandbox86.Network.Wire;

namespace Sandbox86.Network;

/// <summary>
/// One isolated virtual Ethernet network: a learning switch, the gateway (ARP, ICMP, DHCP, DNS), TCP/UDP NAT to the
/// host, inbound forwards and the egress policy. Attach guests with <see cref="AttachPort"/>.
/// Host forward listeners are bound in the constructor (a busy port throws <see cref="System.Net.Sockets.SocketException"/>).
/// </summary>
public sealed class VirtualNetwork : IAsyncDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);
    private readonly object _gate = new();
    private readonly EthernetSwitch _switch;
    private readonly GatewayStack _gateway;
    private readonly ForwardManager _forwards;
    private readonly PcapWriter? _capture;
    private readonly ITimer _timer;
    private readonly TimeProvider _time;
    private readonly DropCounters _drops = new();
    private int _disposed;

    /// <summary>Creates the network and binds its forward listeners.</summary>
    /// <param name="options">Addressing, forwards, policy, limits and capture.</param>
    /// <param name="time">Clock for timers (retransmission, idle expiry); the system clock by default.</param>
    public VirtualNetwork(NetworkOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _time = time ?? TimeProvider.System;
        _capture = options.PcapPath is { } path ? PcapWriter.Open(path, _time) : null;
        _switch = new EthernetSwitch(_gate, GatewayStack.Mac, _capture);
        _gateway = new GatewayStack(options, _switch, _time, _drops);
        _switch.AttachGateway(_gateway);
        try
        {
            _forwards = new ForwardManager(_gateway.Context, options.Forwards, _gateway, _gateway.Emitter, _gateway.Tcp.OpenInbound);
        }
        catch
        {
            _capture?.Dispose();
            throw;
        }

        _gateway.Udp.InboundReplies = _forwards.TryHandleGuestReply;
        _timer = _time.CreateTimer(_ => Poll(), null, PollInterval, PollInterval);
    }

    /// <summary>The options this network was built with.</summary>
    public NetworkOptions Options { get; }

    /// <summary>The host endpoints actually bound for each forward (useful with <see cref="PortForward.HostPort"/> = 0).</summary>
    public IReadOnlyDictionary<PortForward, IPEndPoint> ForwardEndpoints => _forwards.Endpoints;

    /// <summary>
    /// Attaches a guest. <paramref name="deliverToGuest"/> receives one Ethernet frame at a time, in order, from a
    /// bounded queue; frames are dropped (and counted) if it falls behind.
    /// </summary>
    /// <param name="name">Port name; DHCP leases and <see cref="StaticLease"/> are keyed by it.</param>
    /// <param name="deliverToGuest">Hands a frame to the guest NIC (v86 <c>net0-receive</c>, a WebSocket send…).</param>
    public INetworkPort AttachPort(string name, Func<ReadOnlyMemory<byte>, ValueTask> deliverToGuest)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return _switch.Attach(name, deliverToGuest, Options.PortQueueCapacity);
    }

    /// <summary>A snapshot of every counter.</summary>
    public NetworkCounters Counters
    {
        get
        {
            lock (_gate)
            {
                var ports = _switch.Ports.OfType<GuestPort>().Select(p => p.Counters).ToList();
                return new NetworkCounters(ports, _drops.Snapshot(), _gateway.Tcp.Count, _gateway.Udp.Count, _gateway.Limiter.TotalBytes);
            }
        }
    }

    /// <summary>The DHCP lease of a port, if it has one.</summary>
    public IPAddress? LeaseOf(string portName)
    {
        lock (_gate)
        {
            return _gateway.Dhcp.LeaseFor(portName)?.ToIPAddress();
        }
    }

    internal GatewayStack Gateway => _gateway;

    /// <summary>Runs the timers (retransmission, persist, TIME_WAIT, idle expiry). Called by an internal timer; tests call it after moving a fake clock.</summary>
    internal void Poll()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        lock (_gate)
        {
            var now = _time.GetTimestamp();
            _gateway.Tcp.Poll(now);
            _gateway.Udp.Poll(now);
        }
    }

    /// <summary>Resets every flow, closes listeners and flushes the capture.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _timer.DisposeAsync().ConfigureAwait(false);
        _forwards.Dispose();
        lock (_gate)
        {
            _gateway.Tcp.AbortAll();
            _gateway.Udp.CloseAll();
        }

        foreach (var p in _switch.Ports.OfType<GuestPort>())
        {
            await p.DisposeAsync().ConfigureAwait(false);
        }

        _capture?.Dispose();
    }
}
