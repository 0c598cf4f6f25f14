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
    private int _reservedMb;

    public PoolLane(PoolKey key, ImageStore store, WarmPoolOptions options)
    {
        _key = key;
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

    /// <summary>Drops ready machines until at least <paramref name="memoryMb"/> is released (or none are left); returns what was released.</summary>
    public int Shed(int memoryMb)
    {
        var dropped = new List<Machine>();
        lock (_ready)
        {
            while (_ready.Count > 0 && dropped.Count * _key.MemoryMb < memoryMb)
            {
                dropped.Add(_ready.Dequeue());
            }

            // Don't refill straight back into the memory just handed over.
            _refillAt = DateTimeOffset.UtcNow + _options.RefillDelay;
        }

        foreach (var machine in dropped)
        {
            Release(_key.MemoryMb);
            _ = machine.DisposeAsync().AsTask();
        }

        _wake.Release();
        return dropped.Count * _key.MemoryMb;
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

                while (!stop.IsCancellationRequested && Count() < _options.Size && TryReserve())
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
            if (_options.Size > 0)
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
        lock (_ready)
        {
            _starting++;
        }

        Machine? machine = null;
        var queued = false;
        try
        {
            // The build the raw state came from (the machine leases it); a rebuild meanwhile is caught by the next check.
            var image = _image!;
            var options = _options.Machine with { MemoryMb = _key.MemoryMb, SharedRawState = _rawState };
            machine = await Machine.LaunchAsync(image, _key.MemoryMb, null, options, stop);
            await PoolIdentity.ApplyStaticAsync(machine, stop);
            // Everything sent so far has been answered once this returns: the guest is quiet.
            await machine.Agent.PingAsync(stop);
            await machine.SuspendAsync(stop);
            lock (_ready)
            {
                _ready.Enqueue(machine);
                queued = true;
            }
        }
        finally
        {
            lock (_ready)
            {
                _starting--;
            }

            // The reservation was taken for this machine: whatever failed (the restore itself included) returns it.
            if (!queued)
            {
                Release(_key.MemoryMb);
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
