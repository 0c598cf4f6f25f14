using Microsoft.Extensions.Logging;
using Sandbox86.Images.Store;

namespace Sandbox86.Machines.Pool;

/// <summary>
/// The machines of one (image, memory): restored once from one shared raw boot state, identity applied,
/// suspended, and handed out in order. One loop per lane does every refill and drain, one machine at a
/// time (a restore is CPU-bound; two at once on a small host only slow the claims that run meanwhile).
/// </summary>
internal sealed class PoolLane : IAsyncDisposable
{
    private readonly PoolKey _key;
    private readonly ImageStore _store;
    private readonly WarmPoolOptions _options;
    private int _size;
    private readonly IWarmPoolBudget? _budget;
    private readonly ILogger? _log;
    private readonly Queue<Machine> _ready = new();
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private StoredImage? _image;
    private string? _rawState;
    private DateTimeOffset _refillAt = DateTimeOffset.MinValue;
    private int _starting;
    // The restore in progress (under _ready's lock): a shed may cancel it and take its reservation at once.
    private CancellationTokenSource? _warming;
    private bool _warmingShed;
    private int _reservedMb;

    public PoolLane(PoolKey key, ImageStore store, WarmPoolOptions options, int size)
    {
        _key = key;
        _size = size;
        _store = store;
        _options = options;
        _budget = options.Budget;
        _log = options.Machine.Logger;
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>Suspended machines ready to be claimed.</summary>
    public int ReadyCount
    {
        get
        {
            lock (_ready)
            {
                return _ready.Count;
            }
        }
    }

    /// <summary>Guest memory the lane holds: ready machines plus the one being restored.</summary>
    public int ReservedMemoryMb => Volatile.Read(ref _reservedMb);

    /// <summary>How many raw boot states this lane has decompressed (once per build, not per restore).</summary>
    public int RawStatesMade { get; private set; }

    /// <summary>Takes a ready machine of exactly <paramref name="image"/>'s build, still suspended; its reservation is released.</summary>
    public Machine? TryTake(StoredImage image)
    {
        Machine? taken = null;
        lock (_ready)
        {
            if (_ready.Count > 0 && _ready.Peek().Image.Directory == image.Directory)
            {
                taken = _ready.Dequeue();
                _refillAt = DateTimeOffset.UtcNow + _options.RefillDelay;
            }
        }

        if (taken is not null)
        {
            Release(_key.MemoryMb);
        }

        // Taken or not (a stale build), the loop has work: a refill, or a drain and a new build.
        _wake.Release();
        return taken;
    }

    /// <summary>
    /// Drops ready machines until at least <paramref name="memoryMb"/> is released, then, if that is not
    /// enough, cancels the restore in progress (a sandbox is worth more than a spare: a create must not be
    /// refused for a machine the pool has not even finished); returns what was released.
    /// </summary>
    public int Shed(int memoryMb)
    {
        var dropped = new List<Machine>();
        CancellationTokenSource? cancel = null;
        lock (_ready)
        {
            while (_ready.Count > 0 && dropped.Count * _key.MemoryMb < memoryMb)
            {
                dropped.Add(_ready.Dequeue());
            }

            if (dropped.Count * _key.MemoryMb < memoryMb && _warming is not null && !_warmingShed)
            {
                _warmingShed = true;
                cancel = _warming;
            }

            // Don't refill straight back into the memory just handed over.
            _refillAt = DateTimeOffset.UtcNow + _options.RefillDelay;
        }

        foreach (var machine in dropped)
        {
            Release(_key.MemoryMb);
            _ = machine.DisposeAsync().AsTask();
        }

        var freed = dropped.Count * _key.MemoryMb;
        if (cancel is not null)
        {
            // Its reservation is released here, not by the restore's own cleanup (which sees _warmingShed).
            Release(_key.MemoryMb);
            freed += _key.MemoryMb;
            try
            {
                cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The restore finished meanwhile; its cleanup saw the flag and dropped the machine.
            }
        }

        _wake.Release();
        return freed;
    }

    /// <summary>How many machines the lane keeps ready; a change takes effect at the next refill (an excess is claimed away, not dropped).</summary>
    public int Size
    {
        get => Volatile.Read(ref _size);
        set
        {
            Volatile.Write(ref _size, value);
            _wake.Release();
        }
    }

    /// <summary>Asks the loop to look again (the budget has room, a build may have changed).</summary>
    public void Wake() => _wake.Release();

    private async Task RunAsync(CancellationToken stop)
    {
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(_options.BuildCheckInterval, stop);
                if (!await FollowBuildAsync(stop))
                {
                    continue;
                }

                var wait = _refillAt - DateTimeOffset.UtcNow;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, stop);
                }

                // A claim or shed meanwhile pushes _refillAt out: stop, and let the outer loop wait for it.
                while (!stop.IsCancellationRequested && Count() < Size && DateTimeOffset.UtcNow >= RefillAt() && TryReserve())
                {
                    await WarmOneAsync(stop);
                    failures = 0;
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is MachineException or Worker.WorkerException or Guest.AgentException or IOException or ImageStoreException
                or Images.ImageException or UnauthorizedAccessException or InvalidOperationException or OperationCanceledException)
            {
                // A pool that cannot warm must not spin: back off, and creates fall back to plain restores.
                failures++;
                PoolLog.WarmFailed(_log, _key.ImageName, _key.MemoryMb, e.Message);
                await DelayQuietlyAsync(TimeSpan.FromSeconds(Math.Min(30, 1 << Math.Min(failures, 5))), stop);
            }
        }
    }

    private DateTimeOffset RefillAt()
    {
        lock (_ready)
        {
            return _refillAt;
        }
    }

    private int Count()
    {
        lock (_ready)
        {
            return _ready.Count + _starting;
        }
    }

    private bool TryReserve()
    {
        if (_budget is not null && !_budget.TryReserve(_key.MemoryMb))
        {
            return false;
        }

        Interlocked.Add(ref _reservedMb, _key.MemoryMb);
        return true;
    }

    private void Release(int memoryMb)
    {
        Interlocked.Add(ref _reservedMb, -memoryMb);
        _budget?.Release(memoryMb);
    }

    /// <summary>
    /// Makes sure the lane serves the build the image name points at now: on a new build it drops every
    /// pooled machine of the old one (their leases would keep the old build alive) and its raw state.
    /// False when the image is not there (nothing to warm).
    /// </summary>
    private async Task<bool> FollowBuildAsync(CancellationToken stop)
    {
        if (!_store.Exists(_key.ImageName))
        {
            await DrainAsync();
            return false;
        }

        var current = _store.Open(_key.ImageName);
        if (current.Directory != _image?.Directory)
        {
            await DrainAsync();
            _image = current;
            if (Size > 0)
            {
                var options = _options.Machine with { MemoryMb = _key.MemoryMb };
                var state = await Snapshots.EnsureBootSnapshotAsync(current, _key.MemoryMb, options, stop);
                _rawState = await Task.Run(() => RawState.Decompress(state, _key.MemoryMb), stop);
                RawStatesMade++;
            }
        }

        return _rawState is not null;
    }

    private async Task WarmOneAsync(CancellationToken stop)
    {
        using var warming = CancellationTokenSource.CreateLinkedTokenSource(stop);
        lock (_ready)
        {
            _starting++;
            _warming = warming;
            _warmingShed = false;
        }

        Machine? machine = null;
        var queued = false;
        try
        {
            // The build the raw state came from (the machine leases it); a rebuild meanwhile is caught by the next check.
            var image = _image!;
            var options = _options.Machine with { MemoryMb = _key.MemoryMb, SharedRawState = _rawState };
            machine = await Machine.LaunchAsync(image, _key.MemoryMb, null, options, warming.Token);
            Util.PhaseTrace.Mark("pool: restored a spare");
            machine.FreshFromBuild = true;
            // Learned by the lane's first machine for the build, so no claim asks the guest (id -u user, ~270 ms).
            await machine.HasDefaultUserAsync(warming.Token);
            await PoolIdentity.ApplyStaticAsync(machine, warming.Token);
            await PoolWarmUp.RunAsync(machine, _options.WarmUp, _options.WarmUpRounds, warming.Token);
            // Everything sent so far has been answered once this returns: the guest is quiet.
            await machine.Agent.PingAsync(warming.Token);
            await machine.SuspendAsync(warming.Token);
            Util.PhaseTrace.Mark("pool: spare warmed and suspended");
            lock (_ready)
            {
                if (!_warmingShed)
                {
                    _ready.Enqueue(machine);
                    queued = true;
                }
            }
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested && warming.IsCancellationRequested)
        {
            // Shed for a sandbox: not a failure, nothing to back off from.
        }
        finally
        {
            bool shed;
            lock (_ready)
            {
                _starting--;
                _warming = null;
                shed = _warmingShed;
            }

            // The reservation was taken for this machine: whatever failed (the restore itself included) returns it, unless a shed already did.
            if (!queued)
            {
                if (!shed)
                {
                    Release(_key.MemoryMb);
                }

                if (machine is not null)
                {
                    await machine.DisposeAsync();
                }
            }
        }
    }

    private async Task DrainAsync()
    {
        List<Machine> drained;
        lock (_ready)
        {
            drained = [.. _ready];
            _ready.Clear();
        }

        foreach (var machine in drained)
        {
            Release(_key.MemoryMb);
            await machine.DisposeAsync();
        }

        if (_rawState is not null)
        {
            Util.AtomicFile.TryDelete(_rawState);
            _rawState = null;
        }

        _image = null;
    }

    private static async Task DelayQuietlyAsync(TimeSpan delay, CancellationToken stop)
    {
        try
        {
            await Task.Delay(delay, stop);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        await DrainAsync();
        _stop.Dispose();
        _wake.Dispose();
    }
}
