using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sandbox86.Images.Store;
using Sandbox86.Machines;
using Sandbox86.Machines.Pool;
using Sandbox86.Server.Sandboxes;

namespace Sandbox86.Server.Pool;

/// <summary>
/// The server's warm pool (<c>serve --pool N</c>): keeps N machines of the base template ready, charges
/// them to <c>--memory-budget</c> under the same lock the registry admits sandboxes with, gives pooled
/// memory back when a create would not fit otherwise, and hands a create a pooled machine or a plain
/// restore. With N = 0 it is inert: every create restores.
/// </summary>
internal sealed class ServerPool : IWarmPoolBudget, IHostedService, IAsyncDisposable
{
    private readonly ServerOptions _options;
    private readonly ILogger<ServerPool> _log;
    private readonly WarmPool? _pool;
    private Func<int> _sandboxMemoryMb = () => 0;
    private int _reservedMb;
    private int _pooledCreates;

    public ServerPool(ServerOptions options, ILogger<ServerPool> log)
    {
        _options = options;
        _log = log;
        if (options.PoolSize > 0)
        {
            _pool = new WarmPool(ImageStore.Default, new WarmPoolOptions
            {
                Size = options.PoolSize,
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
    public Machine? TryTake(StoredImage image, int memoryMb) => _pool?.TryTake(image, memoryMb);

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

        try
        {
            var image = SandboxRegistry.OpenTemplate("base");
            _pool.Keep(image.Name, Machine.ResolveMemory(image, new MachineOptions()));
            if (_log.IsEnabled(LogLevel.Information))
            {
                _log.LogInformation("warm pool: keeping {Size} machine(s) of '{Image}' ready", _options.PoolSize, image.Name);
            }

        }
        catch (Exception e) when (e is SandboxException or MachineException or ImageStoreException or IOException)
        {
            // No base image yet: creates restore as without a pool.
            if (_log.IsEnabled(LogLevel.Warning))
            {
                _log.LogWarning("warm pool: nothing to keep warm ({Reason})", e.Message);
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
