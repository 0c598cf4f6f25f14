namespace Sandbox86.Server;

/// <summary>Settings of one <c>sandbox86 serve</c> process.</summary>
public sealed record ServerOptions
{
    /// <summary>Accepted API keys; empty means any key (only allowed on loopback).</summary>
    public IReadOnlyList<string> ApiKeys { get; init; } = [];

    /// <summary>Most sandboxes that may exist at once (running or paused running count).</summary>
    public int MaxSandboxes { get; init; } = 16;

    /// <summary>Sum of guest memory (MB) the running sandboxes may use.</summary>
    public int MemoryBudgetMb { get; init; } = 4096;

    /// <summary>Where paused states and the sandbox records live.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Machines of the base template kept restored and suspended for creates (<c>--pool</c>); 0 keeps none.</summary>
    public int PoolSize { get; init; }

    /// <summary>
    /// Machines kept ready per template id (<c>--pool base=2,python=1</c>); when empty, <see cref="PoolSize"/>
    /// machines of the base template. Each template's lane is keyed by its image and memory.
    /// </summary>
    public IReadOnlyDictionary<string, int> PoolTemplates { get; init; } = new Dictionary<string, int>();

    /// <summary>The pool sizes in effect: <see cref="PoolTemplates"/>, or the base template's <see cref="PoolSize"/>.</summary>
    internal IReadOnlyDictionary<string, int> EffectivePool =>
        PoolTemplates.Count > 0 ? PoolTemplates
        : PoolSize > 0 ? new Dictionary<string, int> { ["base"] = PoolSize }
        : new Dictionary<string, int>();

    /// <summary>How long after a pooled create the pool waits before it restores a replacement.</summary>
    public TimeSpan PoolRefillDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Suspend a running sandbox's emulator after this long with no command, call, frame or open flow; the
    /// next request or inbound connection wakes it (<c>--idle-suspend</c>, off by default). Null
    /// or zero never suspends.
    /// </summary>
    public TimeSpan? IdleSuspendAfter { get; init; }

    /// <summary>
    /// Host directories under which a create may mount (<c>--mount-root</c>, repeatable); empty refuses every
    /// mount. Nothing outside them, and no symlink below them, is ever mounted (<see cref="Mounts.MountPolicy"/>).
    /// </summary>
    public IReadOnlyList<string> MountRoots { get; init; } = [];

    /// <summary>Largest control-plane request body accepted.</summary>
    public long MaxRequestBytes { get; init; } = 64 * 1024;
}
