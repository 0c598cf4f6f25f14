namespace Sandbox86.Network;

/// <summary>Per-network limits; a flow or byte over a limit is refused and counted as <see cref="DropReason.LimitReached"/>.</summary>
public sealed record NetworkLimits
{
    /// <summary>Concurrent NAT flows (TCP and UDP together).</summary>
    public int MaxConcurrentFlows { get; init; } = 1024;

    /// <summary>Egress plus ingress NAT bandwidth in bytes per second; null for unlimited.</summary>
    public long? MaxBytesPerSecond { get; init; }

    /// <summary>Total NAT bytes over the network's life; null for unlimited. Flows are reset when reached.</summary>
    public long? MaxTotalBytes { get; init; }
}
