namespace Sandbox86.Machines.Pool;

/// <summary>How a <see cref="WarmPool"/> keeps machines ready.</summary>
public sealed record WarmPoolOptions
{
    /// <summary>Machines kept restored and suspended per (image, memory); 0 keeps none (every claim restores).</summary>
    public int Size { get; init; } = 2;

    /// <summary>
    /// How long after a claim the pool waits before it restores a replacement, so a burst of creates is
    /// not slowed by refills competing for the CPU (the Kubernetes agent-sandbox project does the same).
    /// </summary>
    public TimeSpan RefillDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the pool checks whether an image name now points at a new build (then it drains and refills).</summary>
    public TimeSpan BuildCheckInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Commands each pooled machine runs before it is suspended, so the first command after a claim finds
    /// the emulator's JIT and the guest's page cache warm (<see cref="PoolWarmUp.E2BFirstCall"/> by default;
    /// empty parks the machine right after its restore).
    /// </summary>
    public IReadOnlyList<Guest.ExecRequest> WarmUp { get; init; } = PoolWarmUp.E2BFirstCall;

    /// <summary>How many times <see cref="WarmUp"/> runs (v86 compiles a page only once it has run often enough).</summary>
    public int WarmUpRounds { get; init; } = 2;

    /// <summary>Options for the pooled machines and for the plain restores an empty pool falls back to.</summary>
    public MachineOptions Machine { get; init; } = new();

    /// <summary>Where pooled memory is charged; null charges nothing (no limit).</summary>
    public IWarmPoolBudget? Budget { get; init; }
}
