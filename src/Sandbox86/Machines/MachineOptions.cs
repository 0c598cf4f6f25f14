namespace Sandbox86.Machines;

/// <summary>How to start a machine. Unset values come from the image manifest.</summary>
public sealed record MachineOptions
{
    /// <summary>Guest memory in MB; v86 needs at least 64 MB plus the initrd.</summary>
    public int? MemoryMb { get; init; }

    /// <summary>Boot from scratch even when a boot snapshot exists (and don't create one).</summary>
    public bool Cold { get; init; }

    /// <summary>Restore this snapshot directory (<c>state.zst</c> + <c>meta.json</c>, as <see cref="Machine.SaveStateAsync"/> writes it) instead of the image's boot snapshot.</summary>
    public string? StatePath { get; init; }

    /// <summary>How long a cold boot may take to reach the agent.</summary>
    public TimeSpan BootTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>How long a restore may take to reach the agent.</summary>
    public TimeSpan RestoreTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How long the agent may go without answering a ping before the guest is declared hung and its
    /// worker killed (every pending call then fails). Null turns the watchdog off.
    /// </summary>
    public TimeSpan? Watchdog { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Once the guest has been quiet (halted, no frame in or out) for 100 ms, its timer interrupts are
    /// delivered at most this often, so an idle VM costs ~1% of a core instead of ~24% (its kernel ticks at
    /// 250 Hz and never stops the tick). Guest timers may then fire up to this late; the guest clock stays
    /// exact and any host input wakes the guest at once. Null or zero delivers every timer on time.
    /// </summary>
    public TimeSpan? IdleTimerCoalescing { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Suspend the emulator after this long with no agent call or running command, no frame toward the
    /// guest, no TCP flow on its own network and no keep-awake lease; the next call, frame or inbound
    /// connection resumes it first (<see cref="Machine.EnableIdleSuspend"/>). Null or zero never suspends
    /// (the default: a library caller opts in; <c>serve</c> turns it on at 30 s).
    /// </summary>
    public TimeSpan? IdleSuspendAfter { get; init; }

    /// <summary><see cref="IdleTimerCoalescing"/> as the worker takes it: whole ms, 0 (off) to 1000.</summary>
    internal int IdleTimerMilliseconds => (int)Math.Clamp((IdleTimerCoalescing ?? TimeSpan.Zero).TotalMilliseconds, 0, 1000);

    /// <summary>
    /// Connect the NIC to an external v86 network backend (<c>ws://host:port/</c> relay, or <c>fetch</c>)
    /// instead of sandbox86's own stack.
    /// </summary>
    public string? RelayUrl { get; init; }

    /// <summary>
    /// Also keep a root login shell on the guest's ttyS0 (the kernel switch <see cref="ConsoleShellSwitch"/>;
    /// the agent is PID 1 and no getty runs): for a VM whose only terminal is its console, such as a web
    /// page's. Its boot snapshot is kept apart from the plain one.
    /// </summary>
    public bool ConsoleShell { get; init; }

    /// <summary>The kernel command-line switch <see cref="ConsoleShell"/> adds (read by the guest agent).</summary>
    public const string ConsoleShellSwitch = "sandbox86.console=ttyS0";

    /// <summary>
    /// Live host-directory mounts (<c>-v HOST:GUEST[:ro]</c>), served by the 9P server and mounted by the
    /// agent once the guest is up. A machine with mounts cannot be saved (the guest's 9P client state
    /// would not survive a restore).
    /// </summary>
    public IReadOnlyList<Mounts.MountSpec> Mounts { get; init; } = [];

    /// <summary>The worker and Node.js to use; null means <see cref="Runtime.RuntimeAssets.Default"/> (package content).</summary>
    public Runtime.RuntimeAssets? Assets { get; init; }

    /// <summary>Receives the guest's ttyS0 output (kernel log, init messages).</summary>
    public Action<ReadOnlyMemory<byte>>? SerialOutput { get; init; }

    /// <summary>Where the machine says what it decided (snapshot created, fell back to a cold boot, ...); null logs nothing.</summary>
    public Microsoft.Extensions.Logging.ILogger? Logger { get; init; }

    /// <summary>
    /// Starts the process that hosts the VM; null means the Node worker. Unit tests script a fake here to
    /// exercise snapshot policy (fallbacks, corrupt states, panics) without Node or a guest.
    /// </summary>
    internal Func<CancellationToken, Task<Worker.IWorkerConnection>>? WorkerFactory { get; init; }

    /// <summary>
    /// A raw (decompressed) v86 state file to restore, shared by many restores (a warm pool's boot state,
    /// a fork's saved state) and owned by whoever made it: the machine reads it and never deletes it.
    /// </summary>
    internal string? SharedRawState { get; init; }

    /// <summary>The smallest guest RAM in MiB v86 accepts; a machine needs the initrd's size on top.</summary>
    public const int MinMemoryMb = 64;
    /// <summary>The largest guest RAM in MiB a machine may ask for.</summary>
    public const int MaxMemoryMb = 2048;
}
