using System.Collections.Concurrent;
using Sandbox86.Images.Store;

namespace Sandbox86.Machines.Pool;

/// <summary>
/// Machines restored ahead of demand, per (image, memory): each restored once from a raw boot state
/// decompressed once per build, given its own MAC and hostname, and suspended (no CPU). A claim resumes
/// one, resets its clock and reseeds its entropy, and answers; the pool refills in the background after
/// <see cref="WarmPoolOptions.RefillDelay"/>. An empty pool never fails a claim: it restores one as
/// <see cref="Machine.StartAsync"/> would. When an image name points at a new build, the lane drops the
/// old build's machines and warms the new one.
/// <code>
/// await using var pool = new WarmPool(ImageStore.Default, new WarmPoolOptions { Size = 2 });
/// pool.Keep("default", 256);
/// var claim = await pool.ClaimAsync(ImageStore.Default.Open("default"), 256, ct);
/// await using var vm = claim.Machine;
/// </code>
/// </summary>
public sealed class WarmPool : IAsyncDisposable
{
    private readonly ConcurrentDictionary<PoolKey, PoolLane> _lanes = new();
    private readonly ImageStore _store;
    private int _disposed;

    /// <summary>A pool over <paramref name="store"/>'s images; it warms nothing until <see cref="Keep(string, int)"/> or a claim names a lane.</summary>
    public WarmPool(ImageStore store, WarmPoolOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.Size);
        _store = store;
        Options = options;
    }

    /// <summary>The settings the pool runs with.</summary>
    public WarmPoolOptions Options { get; }

    /// <summary>Starts keeping <see cref="WarmPoolOptions.Size"/> machines of <paramref name="imageName"/> with <paramref name="memoryMb"/> ready.</summary>
    public void Keep(string imageName, int memoryMb) => Lane(new PoolKey(imageName, memoryMb));

    /// <summary>Keeps <paramref name="size"/> machines of this lane ready (per-image pool sizes); 0 stops refilling it.</summary>
    public void Keep(string imageName, int memoryMb, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        Lane(new PoolKey(imageName, memoryMb), size).Size = size;
    }

    /// <summary>Suspended machines ready for a claim of this lane.</summary>
    public int ReadyCount(string imageName, int memoryMb) =>
        _lanes.TryGetValue(new PoolKey(imageName, memoryMb), out var lane) ? lane.ReadyCount : 0;

    /// <summary>Guest memory all lanes hold (ready machines and those being restored), in MB.</summary>
    public int ReservedMemoryMb => _lanes.Values.Sum(l => l.ReservedMemoryMb);

    /// <summary>How many times a lane decompressed a boot state (once per build and memory size).</summary>
    public int RawStatesMade => _lanes.Values.Sum(l => l.RawStatesMade);

    /// <summary>
    /// Drops ready machines until <paramref name="memoryMb"/> is released (their budget goes back at
    /// once), so a create that does not fit the budget can have the pool's memory; returns what was freed.
    /// </summary>
    public int Shed(int memoryMb)
    {
        var freed = 0;
        foreach (var lane in _lanes.Values)
        {
            if (freed >= memoryMb)
            {
                break;
            }

            freed += lane.Shed(memoryMb - freed);
        }

        return freed;
    }

    /// <summary>Tells every lane to look again (the budget has room again).</summary>
    public void Wake()
    {
        foreach (var lane in _lanes.Values)
        {
            lane.Wake();
        }
    }

    /// <summary>
    /// The first half of a claim: takes a ready machine of exactly <paramref name="image"/>'s build, still
    /// suspended, and releases its budget reservation (the caller charges it as its own). Null when the
    /// lane is empty. Finish with <see cref="WakeAsync"/>, or dispose the machine.
    /// </summary>
    public Machine? TryTake(StoredImage image, int memoryMb) => Lane(new PoolKey(image.Name, memoryMb)).TryTake(image);

    /// <summary>
    /// The second half of a claim: resumes a machine from <see cref="TryTake"/> (which resets its clock)
    /// and reseeds its entropy. Neither is waited for by the guest's next command: the agent handles
    /// requests in order, so that command runs after both.
    /// </summary>
    public async Task WakeAsync(Machine pooled, CancellationToken cancellationToken)
    {
        await pooled.ResumeAsync(cancellationToken);
        Util.PhaseTrace.Mark("pool: claimed machine resumed (clock reset sent)");
        var reseed = PoolIdentity.ReseedAsync(pooled);
        _ = reseed.ContinueWith(t => MachineLog.ResyncFailed(Options.Machine.Logger, t.Exception?.InnerException?.Message),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    /// <summary>
    /// A running machine of <paramref name="image"/> with <paramref name="memoryMb"/>: a pooled one when
    /// the lane has one ready, else (or when waking it fails) a plain restore. Never fails for want of a
    /// pooled machine.
    /// </summary>
    public async Task<PoolClaim> ClaimAsync(StoredImage image, int memoryMb, CancellationToken cancellationToken)
    {
        if (TryTake(image, memoryMb) is { } pooled)
        {
            try
            {
                await WakeAsync(pooled, cancellationToken);
                return new PoolClaim(pooled, FromPool: true);
            }
            catch (Exception e) when (e is MachineException or Worker.WorkerException or Guest.AgentException)
            {
                PoolLog.ClaimFellBack(Options.Machine.Logger, image.Name, memoryMb, e.Message);
                await pooled.DisposeAsync();
            }
        }

        return new PoolClaim(await StartPlainAsync(image, memoryMb, cancellationToken), FromPool: false);
    }

    /// <summary>What an empty pool does: a plain restore with the pool's machine options.</summary>
    public Task<Machine> StartPlainAsync(StoredImage image, int memoryMb, CancellationToken cancellationToken) =>
        Machine.StartAsync(image, Options.Machine with { MemoryMb = memoryMb }, cancellationToken);

    private PoolLane Lane(PoolKey key, int? size = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        // GetOrAdd's factory may run twice under a race: create under a lock so a lane (and its loop) is made once.
        if (_lanes.TryGetValue(key, out var lane))
        {
            return lane;
        }

        lock (_lanes)
        {
            return _lanes.GetOrAdd(key, k => new PoolLane(k, _store, Options, size ?? Options.Size));
        }
    }

    /// <summary>Stops refilling and shuts every pooled machine down.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Task.WhenAll(_lanes.Values.Select(l => l.DisposeAsync().AsTask()));
        _lanes.Clear();
    }
}
