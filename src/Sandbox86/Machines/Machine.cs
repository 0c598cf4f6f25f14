using System.Diagnostics;
using System.Security.Cryptography;
using Sandbox86.Guest;
using Sandbox86.Images.Store;
using Sandbox86.Machines.Worker;

namespace Sandbox86.Machines;

/// <summary>
/// A running VM: one Node worker hosting v86, and the guest agent client over virtio-console.
/// <code>
/// await using var vm = await Machine.StartAsync(image, new MachineOptions(), ct);
/// var result = await vm.Agent.ExecAsync(new ExecRequest { Argv = ["echo", "hi"] }, ct);
/// </code>
/// </summary>
public sealed partial class Machine : IAsyncDisposable
{
    private readonly IWorkerConnection _worker;
    private readonly AgentChannelStream _agentStream;
    private readonly List<(Delegate Handler, WorkerSubscription Subscription)> _subscriptions = [];
    private GuestWatchdog? _watchdog;
    private BuildLease? _lease;
    private Task _resync = Task.CompletedTask;
    private Microsoft.Extensions.Logging.ILogger? _logger;
    private Mounts.GuestMounts? _mounts;

    private Machine(StoredImage image, int memoryMb, IWorkerConnection worker, AgentChannelStream agentStream, AgentClient agent, bool restored)
    {
        Image = image;
        MemoryMb = memoryMb;
        _worker = worker;
        _agentStream = agentStream;
        Agent = agent;
        Restored = restored;
    }

    /// <summary>The image build the machine runs (leased, so a rebuild never changes it underneath).</summary>
    public StoredImage Image { get; }
    /// <summary>Guest RAM in MiB.</summary>
    public int MemoryMb { get; }
    /// <summary>The connection to the guest agent: exec, files and signals go through it.</summary>
    public AgentClient Agent { get; }

    /// <summary>True when the machine came from a saved state rather than a cold boot.</summary>
    public bool Restored { get; }

    /// <summary>Time from the call to <see cref="StartAsync"/> until the agent answered.</summary>
    public TimeSpan StartDuration { get; private set; }

    /// <summary>The worker's process id (tests kill it to check failure handling).</summary>
    public int WorkerProcessId => _worker.ProcessId;

    /// <summary>The worker hosting the VM (tests read its statistics).</summary>
    internal IWorkerConnection WorkerConnection => _worker;

    /// <summary>Completes when the worker is gone, with the reason.</summary>
    public Task<WorkerException> Exited => _worker.Exited;

    /// <summary>The last output on the guest's serial console (ttyS0), for error messages.</summary>
    public string SerialConsoleTail => _worker.Channels.SerialTail.ToString();

    /// <summary>Bytes to the guest's ttyS0 (interactive console).</summary>
    public Task SendSerialAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
        _idle is { } idle ? SendToGuestAfterWakeAsync(idle, bytes, serial: true, cancellationToken) : _worker.SendSerialAsync(bytes, cancellationToken);

    /// <summary>
    /// Guest ttyS0 output; subscribe before sending input. Each handler is called on its own task from its
    /// own bounded queue: one that falls behind loses its oldest bytes (counted in
    /// <see cref="SerialBytesDropped"/>) and never slows the guest, exec or another handler.
    /// </summary>
    public event Action<ReadOnlyMemory<byte>>? SerialReceived
    {
        add => Subscribe(value, _worker.Channels.SubscribeSerial);
        remove => Unsubscribe(value);
    }

    /// <summary>
    /// Ethernet frames the guest's NIC (virtio-net, eth0) sent. Each handler is called on its own task from
    /// its own bounded queue: when it falls behind, new frames are dropped (counted in
    /// <see cref="NetFramesDropped"/>) as by a NIC with a full receive ring.
    /// </summary>
    public event Action<ReadOnlyMemory<byte>>? NetReceived
    {
        add => Subscribe(value, _worker.Channels.SubscribeNet);
        remove => Unsubscribe(value);
    }

    /// <summary>Console bytes that serial handlers lost because they fell behind.</summary>
    public long SerialBytesDropped => _worker.Channels.SerialBytesDropped;

    /// <summary>Guest frames that net handlers lost because they fell behind.</summary>
    public long NetFramesDropped => _worker.Channels.NetFramesDropped;

    private void Subscribe(Action<ReadOnlyMemory<byte>>? handler, Func<Action<ReadOnlyMemory<byte>>, WorkerSubscription> subscribe)
    {
        if (handler is null)
        {
            return;
        }

        lock (_subscriptions)
        {
            _subscriptions.Add((handler, subscribe(handler)));
        }
    }

    private void Unsubscribe(Action<ReadOnlyMemory<byte>>? handler)
    {
        WorkerSubscription? gone = null;
        lock (_subscriptions)
        {
            var index = _subscriptions.FindLastIndex(s => s.Handler.Equals(handler));
            if (index >= 0)
            {
                gone = _subscriptions[index].Subscription;
                _subscriptions.RemoveAt(index);
            }
        }

        gone?.Dispose();
    }

    /// <summary>Delivers one Ethernet frame to the guest's NIC.</summary>
    public Task SendNetAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken) =>
        _idle is { } idle ? SendToGuestAfterWakeAsync(idle, frame, serial: false, cancellationToken) : _worker.SendNetAsync(frame, cancellationToken);

    /// <summary>Resident memory of the worker process.</summary>
    public Task<long> GetWorkerRssAsync(CancellationToken cancellationToken) => _worker.GetRssAsync(cancellationToken);

    /// <summary>
    /// Starts a machine: restores the image's boot snapshot when one is valid (creating it first if
    /// there is none, unless <see cref="MachineOptions.Cold"/>), else boots from scratch.
    /// </summary>
    public static async Task<Machine> StartAsync(StoredImage image, MachineOptions options, CancellationToken cancellationToken)
    {
        // Pin the build while its snapshot is checked or made; the machine takes its own lease below.
        using var resolving = BuildLease.Acquire(image);
        image = resolving.Image;
        var memory = ResolveMemory(image, options);
        var clock = Stopwatch.StartNew();
        Util.PhaseTrace.Mark("machine start");
        // Node and v86 take ~0.3 s to load: start the worker now, while the snapshot is checked, unless a
        // spare is kept (WorkerPrespawn): then LaunchAsync takes it once it knows the VM's configuration.
        // The build's own boot snapshot (or a cold boot of it), not a saved sandbox or someone's raw state.
        var fresh = options.StatePath is null && options.SharedRawState is null;
        var earlyWorker = WorkerPrespawn.Keeping && options.WorkerFactory is null ? null : StartWorker(options, cancellationToken);
        try
        {
            SnapshotRef? state = null;
            if (options.StatePath is not null)
            {
                state = Snapshots.ValidateExplicit(image, options.StatePath, memory);
            }
            else if (!options.Cold)
            {
                state = await Snapshots.EnsureBootSnapshotAsync(image, memory, options, cancellationToken);
            }

            Util.PhaseTrace.Mark("snapshot checked");
            if (state is not null)
            {
                var worker = earlyWorker;
                earlyWorker = null;
                try
                {
                    var restored = await LaunchAsync(image, memory, state, await WithCachedBootStateAsync(options, state, memory, cancellationToken), cancellationToken, worker);
                    restored.StartDuration = clock.Elapsed;
                    restored.FreshFromBuild = fresh;
                    restored.EnableIdleSuspend(options.IdleSuspendAfter ?? TimeSpan.Zero);
                    return restored;
                }
                // A worker that never became ready (Node or v86 missing, a broken install) says nothing
                // about the snapshot: only a restore that a running worker attempted may discard it.
                catch (Exception e) when (options.StatePath is null && worker?.IsFaulted != true && e is MachineException or WorkerException or Guest.AgentException)
                {
                    MachineLog.RestoreFailed(options.Logger, e.Message);
                    BootStateCache.Forget(state, memory);
                    await Snapshots.DiscardIfUnchangedAsync(image, memory, state, options.ConsoleShell, cancellationToken);
                }
            }

            var bootWorker = earlyWorker;
            earlyWorker = null;
            var booted = await LaunchAsync(image, memory, null, options, cancellationToken, bootWorker);
            booted.StartDuration = clock.Elapsed;
            booted.FreshFromBuild = fresh;
            booted.EnableIdleSuspend(options.IdleSuspendAfter ?? TimeSpan.Zero);
            return booted;
        }
        finally
        {
            if (earlyWorker is not null)
            {
                await DisposeQuietlyAsync(earlyWorker);
            }
        }
    }

    /// <summary>A boot-snapshot restore in a host that keeps spares shares one decompressed state (BootStateCache).</summary>
    private static async Task<MachineOptions> WithCachedBootStateAsync(MachineOptions options, SnapshotRef state, int memory, CancellationToken cancellationToken) =>
        options.StatePath is null && options.SharedRawState is null && options.WorkerFactory is null && WorkerPrespawn.Keeping
            ? options with { SharedRawState = await BootStateCache.GetAsync(state, memory, cancellationToken) }
            : options;

    private static Task<IWorkerConnection> StartWorker(MachineOptions options, CancellationToken cancellationToken) =>
        options.WorkerFactory is { } factory ? factory(cancellationToken) : StartNodeWorkerAsync(options, cancellationToken);

    private static async Task<IWorkerConnection> StartNodeWorkerAsync(MachineOptions options, CancellationToken cancellationToken) =>
        await WorkerProcess.StartAsync(options.Assets ?? Runtime.RuntimeAssets.Default, cancellationToken);

    private static async Task DisposeQuietlyAsync(Task<IWorkerConnection> worker)
    {
        try
        {
            await (await worker).DisposeAsync();
        }
        catch (Exception e) when (e is WorkerException or OperationCanceledException or TimeoutException)
        {
            // It never became usable; nothing left to clean up.
        }
    }

    internal static int ResolveMemory(StoredImage image, MachineOptions options)
    {
        var memory = options.MemoryMb ?? image.Manifest.MemoryMb;
        var initrdMb = (int)Math.Ceiling(new FileInfo(image.InitrdPath).Length / 1048576.0);
        if (memory < MachineOptions.MinMemoryMb + initrdMb || memory > MachineOptions.MaxMemoryMb)
        {
            throw new MachineException($"a memory size of {memory} MB is out of range: v86 needs at least {MachineOptions.MinMemoryMb} MB plus the initrd ({initrdMb} MB), at most {MachineOptions.MaxMemoryMb} MB");
        }

        return memory;
    }

    // pendingRawState: a raw state still being written (a fork's save): the worker starts and v86 is constructed
    // meanwhile, and the restore begins when it completes. Owned by its maker, like MachineOptions.SharedRawState.
    internal static async Task<Machine> LaunchAsync(StoredImage image, int memoryMb, SnapshotRef? state, MachineOptions options,
        CancellationToken cancellationToken, Task<IWorkerConnection>? startedWorker = null, Task<string>? pendingRawState = null)
    {
        if (options.WorkerFactory is null)
        {
            HostFirmware.Require();
        }

        // Held for the machine's lifetime: the worker reads this build's chunks lazily by path.
        var lease = BuildLease.Acquire(image);
        if (lease.Image.Directory != image.Directory)
        {
            lease.Dispose();
            throw new MachineException($"the build of image '{image.Name}' at {image.Directory} was removed before the machine started");
        }
        // v86 can decompress a zstd state itself, but native libzstd is ~6x faster than its wasm one
        // (measured: 370 ms of a 256 MB restore); do it while the worker loads. A warm pool or a fork
        // hands over one raw state shared by many restores instead (never deleted here).
        var shared = options.SharedRawState;
        var restoring = state is not null || shared is not null || pendingRawState is not null;
        var rawState = pendingRawState ?? (shared is not null ? Task.FromResult(shared) : state is null ? null : Task.Run(() => RawState.Decompress(state, memoryMb), cancellationToken));
        var ownedRaw = shared is null && pendingRawState is null ? rawState : null;
        var config = StartConfig(image, memoryMb, options);
        IWorkerConnection worker;
        try
        {
            worker = await (startedWorker ?? TakeOrStartWorkerAsync(config, restoring, options, cancellationToken));
        }
        catch
        {
            lease.Dispose();
            await RawState.DeleteQuietlyAsync(ownedRaw);
            throw;
        }

        Util.PhaseTrace.Mark("worker ready");
        // The worker's read loop keeps the console tail and spots a kernel panic itself (never dropping
        // bytes), so a boot that died fails fast instead of waiting out the boot timeout.
        var serialTail = worker.Channels.SerialTail;
        var panic = serialTail.Panicked;
        var agentStream = new AgentChannelStream(worker);
        var agent = new AgentClient(agentStream) { Tree = worker as IGuestTree };
        var machine = new Machine(image, memoryMb, worker, agentStream, agent, restoring) { _lease = lease };
        _ = worker.Exited.ContinueWith(_ => lease.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        machine.SerialReceived += options.SerialOutput;
        try
        {
            await worker.StartVmAsync(config, rawState, cancellationToken);
            await RawState.DeleteQuietlyAsync(ownedRaw);

            Util.PhaseTrace.Mark(!restoring ? "vm booting" : "vm restored");
            var timeout = !restoring ? options.BootTimeout : options.RestoreTimeout;
            using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeoutCts.CancelAfter(timeout);
            try
            {
                var ready = agent.WaitReadyAsync(timeoutCts.Token);
                if (await Task.WhenAny(ready, panic) != ready)
                {
                    await Task.Delay(300, cancellationToken);
                    throw new MachineException($"the guest kernel panicked during {(!restoring ? "boot" : "restore")}: {LastLine(serialTail.ToString())}");
                }

                await ready;
                Util.PhaseTrace.Mark("agent ready");
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new MachineException($"the guest agent did not answer within {timeout.TotalSeconds:0}s after {(!restoring ? "boot" : "restore")}; " +
                    $"last console output: {LastLine(serialTail.ToString())}");
            }

            if (restoring)
            {
                // A restored guest wakes with the clock and entropy pool of the moment it was saved.
                // The agent handles requests in order, so anything the caller sends next runs after
                // both: no need to wait for their answers (a failure is logged, not fatal).
                machine._resync = Task.WhenAll(
                    agent.SetClockAsync(DateTimeOffset.UtcNow, CancellationToken.None),
                    agent.ReseedEntropyAsync(RandomNumberGenerator.GetBytes(64), CancellationToken.None));
                _ = machine._resync.ContinueWith(t => MachineLog.ResyncFailed(options.Logger, t.Exception?.InnerException?.Message),
                    CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                Util.PhaseTrace.Mark("clock and entropy resync sent");
            }

            machine._logger = options.Logger;
            if (options.Watchdog is { } watchdog)
            {
                machine._watchdogAllowance = watchdog;
                machine._watchdog = GuestWatchdog.Start(agent, worker, watchdog);
            }

            if (options.Mounts.Count > 0)
            {
                machine._mountPortForwarded = true;
                await machine.AttachMountsAsync(options.Mounts, cancellationToken);
                Util.PhaseTrace.Mark("mounts attached");
            }

            return machine;
        }
        catch
        {
            await RawState.DeleteQuietlyAsync(ownedRaw);
            await machine.DisposeAsync();
            throw;
        }
    }

    private static WorkerStartConfig StartConfig(StoredImage image, int memoryMb, MachineOptions options)
    {
        var config = WorkerStartConfig.For(image, memoryMb);
        return config with
        {
            RelayUrl = options.RelayUrl,
            ConsolePorts = options.Mounts.Count > 0 ? Mounts.GuestMounts.ConsolePorts : WorkerConsolePorts.Default,
            IdleTimerMs = options.IdleTimerMilliseconds,
            Cmdline = options.ConsoleShell ? config.Cmdline + " " + MachineOptions.ConsoleShellSwitch : config.Cmdline,
        };
    }

    private static async Task<IWorkerConnection> TakeOrStartWorkerAsync(WorkerStartConfig config, bool restoring, MachineOptions options, CancellationToken cancellationToken) =>
        options.WorkerFactory is null && await WorkerPrespawn.TakeAsync(config, restoring, options.Assets ?? Runtime.RuntimeAssets.Default, cancellationToken) is { } spare
            ? spare
            : await StartWorker(options, cancellationToken);

    private static string LastLine(string text)
    {
        if (text.Length == 0)
        {
            return "(none)";
        }

        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(" | ", lines.TakeLast(3));
    }

    /// <summary>
    /// Saves the VM state as a snapshot directory at <paramref name="path"/> (<c>state.zst</c> plus
    /// <c>meta.json</c> naming the image build it belongs to), published with one rename: the guest as it
    /// is, page cache included (a pause or a fork), compressed at a fast zstd level.
    /// </summary>
    public Task<SnapshotInfo> SaveStateAsync(string path, CancellationToken cancellationToken) =>
        Snapshots.SaveAsync(this, path, prepare: false, Snapshots.PauseCompressionLevel, cancellationToken);

    /// <summary>
    /// Saves the VM state as this build's boot snapshot, which later starts restore, under the lock
    /// first-run snapshot creation takes.
    /// </summary>
    public Task<SnapshotInfo> SaveBootSnapshotAsync(MachineOptions options, CancellationToken cancellationToken) =>
        Snapshots.SaveBootSnapshotAsync(this, options, cancellationToken);

    /// <summary>The raw save; callers detach mounts first (<see cref="DetachMountsAsync"/>), the guest must not hold a 9P session here.</summary>
    internal Task<long> SaveRawStateAsync(string path, CancellationToken cancellationToken) =>
        _mounts is not null
            ? throw new MachineException("a machine with live mounts cannot be saved before they are detached: its 9P session would not survive a restore")
            : _worker.SaveStateAsync(path, cancellationToken);

    /// <summary>Stops the VM and its worker process and releases the image build.</summary>
    public async ValueTask DisposeAsync()
    {
        await DisposeIdleAsync();
        if (_watchdog is not null)
        {
            await _watchdog.DisposeAsync();
        }

        await Agent.DisposeAsync();
        await _worker.DisposeAsync();
        if (_mounts is not null)
        {
            await _mounts.DisposeAsync();
        }

        await _agentStream.DisposeAsync();
        _lease?.Dispose();
    }
}
