namespace Sandbox86.Network;

/// <summary>A snapshot of a network's counters.</summary>
/// <param name="Ports">Per-port counters.</param>
/// <param name="Drops">Stack-level drops (gateway, NAT, policy) by reason.</param>
/// <param name="ActiveTcpFlows">TCP connections currently tracked.</param>
/// <param name="ActiveUdpFlows">UDP flows currently tracked.</param>
/// <param name="NatBytes">Bytes relayed through NAT in both directions.</param>
public sealed record NetworkCounters(IReadOnlyList<PortCounters> Ports, IReadOnlyDictionary<DropReason, long> Drops,
    int ActiveTcpFlows, int ActiveUdpFlows, long NatBytes);
