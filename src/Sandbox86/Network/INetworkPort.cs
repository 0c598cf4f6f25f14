namespace Sandbox86.Network;

/// <summary>
/// One attachment to a <see cref="VirtualNetwork"/>'s switch: a VM's NIC, a WebSocket connection. Frames for the
/// guest are handed to the delivery callback given at attach time, one at a time, from a bounded queue.
/// </summary>
public interface INetworkPort : IAsyncDisposable
{
    /// <summary>The name given at attach time (DHCP leases are keyed by it).</summary>
    string Name { get; }

    /// <summary>Hands one Ethernet II frame (no FCS) from the guest to the switch. Never blocks, never throws for bad frames.</summary>
    void Receive(ReadOnlySpan<byte> frameFromGuest);

    /// <summary>A snapshot of this port's counters.</summary>
    PortCounters Counters { get; }
}
