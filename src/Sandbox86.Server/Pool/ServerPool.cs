using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sandbox86.Images.Store;
using Sandbox86.Machines;
using Sandbox86.Machines.Pool;
using Sandbox86.Server.Sandboxes;

namespace Sandbox86.Server.Pool;

/// <summary>
/// The server's warm pool (<c>serve --pool N</c>, or per template <c>--pool base=2,python=1</c>): keeps
/// that many machines of each template ready, charges
/// them to <c>--memory-budget</c> under the same lock the registry admits sandboxes with, gives pooled
/// memory back when a create would not fit otherwise, and hands a create a pooled machine or a plain
/// restore. With N = 0 it is inert: every create restores.
/// </summary>
internal sealed class ServerPool : IWarmPoolBudget, IHostedService, IAsyncDisposable
{
    private readonly ServerOptions _options;
    private readonly ILogger<ServerPool> _log;
    private readonly WarmPool? _pool;
    // The lanes StartAsync set up: a create of any other image restores without warming a lane for it.
    private readonly HashSet<(string Image, int MemoryMb)> _kept = [];
    private Func<int> _sandboxMemoryMb = () => 0;
    private int _reservedMb;
    private int _pooledCreates;

    public ServerPool(ServerOptions options, ILogger<ServerPool> log)
    {
        _options = options;
        _log = log;
        if (options.EffectivePool.Values.Any(size => size > 0))
        {
            _pool = new WarmPool(ImageStore.Default, new WarmPoolOptions
            {
                Size = 0,
                RefillDelay = options.PoolRefillDelay,
                Budget = this,
                Machine = new MachineOptions { Logger = log },
            });
        }
    }

    /// <summary>The one lock budget decisions take: the registry's admissions and the pool's reservations.</summary>
    public object AdmissionLock { get; } = new();

    /// <summary>Guest memory the pool holds now (counted against the budget like a running sandbox's).</summary>
    public int ReservedMemoryMb => Volatile.Read(ref _reservedMb);

    /// <summary>Creates answered with a pooled machine since the server started.</summary>
    public int PooledCreates => Volatile.Read(ref _pooledCreates);

    /// <summary>Ready machines of a lane (tests and the bench wait for a full pool).</summary>
    public int ReadyCount(string imageName, int memoryMb) => _pool?.ReadyCount(imageName, memoryMb) ?? 0;

    /// <summary>The registry tells the pool how much memory its sandboxes use (called under <see cref="AdmissionLock"/>).</summary>
    public void Bind(Func<int> sandboxMemoryMb) => _sandboxMemoryMb = sandboxMemoryMb;

    public bool TryReserve(int memoryMb)
    {
        lock (AdmissionLock)
        {
            if (_sandboxMemoryMb() + _reservedMb + memoryMb > _options.MemoryBudgetMb)
            {
                return false;
            }

            _reservedMb += memoryMb;
            return true;
        }
    }

    public void Release(int memoryMb)
    {
        lock (AdmissionLock)
        {
            _reservedMb -= memoryMb;
        }
    }

    /// <summary>Called under <see cref="AdmissionLock"/> when a sandbox does not fit: drops pooled machines to make room; returns what was freed.</summary>
    public int Shed(int memoryMb) => _pool?.Shed(memoryMb) ?? 0;

    /// <summary>Takes a pooled machine of exactly this build (still suspended; its reservation released), or null.</summary>
    public Machine? TryTake(StoredImage image, int memoryMb)
    {
        lock (_kept)
        {
            if (!_kept.Contains((image.Name, memoryMb)))
            {
                return null;
            }
        }

        return _pool?.TryTake(image, memoryMb);
    }

    /// <summary>
    /// The machine for an admitted create: wakes <paramref name="pooled"/> (from <see cref="TryTake"/>)
    /// when there is one, else, or when it fails to wake, restores one. Never fails for want of a pool.
    /// </summary>
    public async Task<Machine> StartAsync(StoredImage image, Machine? pooled, MachineOptions fallback, CancellationToken cancellationToken)
    {
        if (pooled is not null && _pool is not null)
        {
            try
            {
                await _pool.WakeAsync(pooled, cancellationToken);
                Interlocked.Increment(ref _pooledCreates);
                return pooled;
            }
            catch (Exception e) when (e is MachineException or Machines.Worker.WorkerException or Guest.AgentException)
            {
                if (_log.IsEnabled(LogLevel.Warning))
                {
                    _log.LogWarning("a pooled machine failed to wake ({Reason}); restoring one instead", e.Message);
                }

                await pooled.DisposeAsync();
            }
        }

        return await Machine.StartAsync(image, fallback, cancellationToken);
    }

    /// <summary>Shuts down a taken machine that will not be used (its create was refused).</summary>
    public static void Discard(Machine? pooled)
    {
        if (pooled is not null)
        {
            _ = pooled.DisposeAsync().AsTask();
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_pool is null)
        {
            return Task.CompletedTask;
        }

        foreach (var (template, size) in _options.EffectivePool)
        {
            try
            {
                var image = SandboxRegistry.OpenTemplate(template);
                var memory = Machine.ResolveMemory(image, new MachineOptions());
                lock (_kept)
                {
                    _kept.Add((image.Name, memory));
                }

                _pool.Keep(image.Name, memory, size);
                if (_log.IsEnabled(LogLevel.Information))
                {
                    _log.LogInformation("warm pool: keeping {Size} machine(s) of '{Template}' (image '{Image}', {MemoryMb} MB) ready", size, template, image.Name, memory);
                }
            }
            catch (Exception e) when (e is SandboxException or MachineException or ImageStoreException or IOException)
            {
                // No such image yet: its creates restore as without a pool.
                if (_log.IsEnabled(LogLevel.Warning))
                {
                    _log.LogWarning("warm pool: nothing to keep warm for '{Template}' ({Reason})", template, e.Message);
                }
            }
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (_pool is not null)
        {
            await _pool.DisposeAsync();
        }
    }
}
