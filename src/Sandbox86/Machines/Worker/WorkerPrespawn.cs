namespace Sandbox86.Machines.Worker;

/// <summary>
/// Spare VM workers for the next machine start in this process. A start otherwise pays for Node and
/// libv86 loading and v86's construction on its critical path (~0.3 s on a quiet machine; 2.4 s + 0.5-2.4 s
/// at load 55-63, measured with the worker driven by hand). While a <see cref="Hold"/> is held, one worker is
/// kept started (v86.wasm compiled) and, once a restore has shown which VM this process restores, primed
/// for that one: v86 constructed, waiting only for its state. A start that needs another configuration
/// (or a boot) gets a fresh worker as before and the spare is replaced. Long-lived hosts (<c>serve</c>)
/// turn it on; a one-shot <c>run</c> leaves it off and starts its worker in parallel with the snapshot check.
/// </summary>
public static class WorkerPrespawn
{
    private static readonly Lock Gate = new();
    private static int _holders;
    private static Spare? _spare;
    private static WorkerStartConfig? _lastRestore;
    private static CancellationTokenSource _stop = new();

    private sealed record Spare(Task<WorkerProcess> Worker, Runtime.RuntimeAssets Assets, bool Primed);

    /// <summary>True while spares are kept.</summary>
    public static bool Keeping
    {
        get
        {
            lock (Gate)
            {
                return _holders > 0;
            }
        }
    }

    /// <summary>
    /// Keeps one spare worker (and the decompressed boot states) until every holder has disposed its hold;
    /// several servers in one process share the one spare.
    /// </summary>
    public static IDisposable Hold()
    {
        lock (Gate)
        {
            if (_holders++ == 0)
            {
                _stop = new CancellationTokenSource();
                RefillLocked(Runtime.RuntimeAssets.Default);
            }
        }

        return new Holding();
    }

    private sealed class Holding : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Release();
            }
        }
    }

    private static void Release()
    {
        Spare? gone;
        lock (Gate)
        {
            if (--_holders > 0)
            {
                return;
            }

            _stop.Cancel();
            gone = _spare;
            _spare = null;
            _lastRestore = null;
        }

        Discard(gone);
        BootStateCache.Clear();
    }

    /// <summary>
    /// The spare when it fits a start with <paramref name="config"/> (a restore when <paramref name="restoring"/>),
    /// else null (the caller starts its own). Taking one starts the next spare, primed for this restore.
    /// </summary>
    internal static async Task<IWorkerConnection?> TakeAsync(WorkerStartConfig config, bool restoring, Runtime.RuntimeAssets assets, CancellationToken cancellationToken)
    {
        Spare? spare;
        lock (Gate)
        {
            if (_holders == 0)
            {
                return null;
            }

            spare = _spare;
            _spare = null;
            if (restoring)
            {
                _lastRestore = config;
            }

            RefillLocked(assets);
        }

        if (spare is null || spare.Assets != assets)
        {
            Discard(spare);
            return null;
        }

        try
        {
            var worker = await spare.Worker.WaitAsync(cancellationToken);
            if (worker.HasExited || (spare.Primed && !Fits(worker, config, restoring)))
            {
                Discard(spare);
                return null;
            }

            if (spare.Primed)
            {
                // Still being built: it is ahead of a fresh worker either way.
                await worker.Constructed.WaitAsync(cancellationToken);
            }

            Util.PhaseTrace.Mark(spare.Primed ? "took a primed spare worker" : "took a spare worker");
            return worker;
        }
        catch (Exception e) when (e is WorkerException or TimeoutException)
        {
            // A spare that failed says nothing about this start: it gets a fresh worker.
            Discard(spare);
            return null;
        }
        catch (OperationCanceledException)
        {
            Discard(spare);
            throw;
        }
    }

    /// <summary>The current spare once it has started (and been primed, if it is to be): its process and whether it is primed.</summary>
    internal static async Task<(int ProcessId, bool Primed)?> PeekSpareAsync(CancellationToken cancellationToken)
    {
        Spare? spare;
        lock (Gate)
        {
            spare = _spare;
        }

        if (spare is null)
        {
            return null;
        }

        var worker = await spare.Worker.WaitAsync(cancellationToken);
        return (worker.ProcessId, spare.Primed);
    }

    private static bool Fits(WorkerProcess worker, WorkerStartConfig config, bool restoring) =>
        restoring && worker.PrimedConfig == System.Text.Json.JsonSerializer.SerializeToNode(config with { Restore = true }, WorkerJsonContext.Default.WorkerStartConfig)!.ToJsonString();

    private static void RefillLocked(Runtime.RuntimeAssets assets)
    {
        if (_holders == 0 || _spare is not null)
        {
            return;
        }

        var prime = _lastRestore;
        var stop = _stop.Token;
        _spare = new Spare(Task.Run(() => StartSpareAsync(assets, prime, stop), stop), assets, prime is not null);
    }

    private static async Task<WorkerProcess> StartSpareAsync(Runtime.RuntimeAssets assets, WorkerStartConfig? prime, CancellationToken stop)
    {
        var worker = await WorkerProcess.StartAsync(assets, stop);
        try
        {
            if (prime is not null)
            {
                await worker.PrimeAsync(prime, stop);
            }

            return worker;
        }
        catch
        {
            await worker.DisposeAsync();
            throw;
        }
    }

    private static void Discard(Spare? spare)
    {
        if (spare is null)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await (await spare.Worker).DisposeAsync();
            }
            catch (Exception e) when (e is WorkerException or OperationCanceledException or TimeoutException)
            {
                // It never became usable; nothing left to end.
            }
        });
    }
}
