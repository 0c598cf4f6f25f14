using Microsoft.Extensions.Logging;

namespace Sandbox86.Machines.Idle;

/// <summary>
/// Suspends a machine's emulator once nothing has happened for <c>after</c> and nothing is open, and
/// resumes it before the next input reaches the guest. The decision and the wake both run under one gate,
/// so an input either sees the machine awake or waits for the resume; an input that slipped past while the
/// emulator was stopping shows in the reading taken after the stop, and the machine is resumed at once.
/// Only a suspension made here is undone here: a machine someone else suspended (a fork's save, a warm
/// pool) is left to them. Every wait runs on the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed class IdleSuspender : IAsyncDisposable
{
    private readonly TimeSpan _after;
    private readonly Func<IdleSample> _sample;
    private readonly Func<CancellationToken, Task> _suspend;
    private readonly Func<CancellationToken, Task> _resume;
    private readonly Func<bool> _suspendedElsewhere;
    private readonly TimeProvider _time;
    private readonly ILogger? _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private long _leaseEvents;
    private int _leases;
    private int _held;
    private long _suspensions;
    private long _wakes;
    private int _disposed;

    /// <param name="after">How long the machine must be quiet before it is suspended.</param>
    /// <param name="sample">Reads the machine's activity (calls, frames, flows).</param>
    /// <param name="suspend">Stops the emulator (and its watchdog).</param>
    /// <param name="resume">Runs it again (clock resynced, watchdog restarted).</param>
    /// <param name="isSuspended">Whether the machine is suspended at all (by anyone).</param>
    /// <param name="time">The clock every wait runs on.</param>
    /// <param name="logger">Where suspensions and wakes are logged; null logs nothing.</param>
    internal IdleSuspender(TimeSpan after, Func<IdleSample> sample, Func<CancellationToken, Task> suspend, Func<CancellationToken, Task> resume,
        Func<bool> isSuspended, TimeProvider time, ILogger? logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(after, TimeSpan.Zero);
        _after = after;
        _sample = sample;
        _suspend = suspend;
        _resume = resume;
        _suspendedElsewhere = isSuspended;
        _time = time;
        _logger = logger;
    }

    /// <summary>True while this suspender holds the machine suspended.</summary>
    public bool IsHolding => Volatile.Read(ref _held) == 1;

    /// <summary>How often the machine was suspended for being idle.</summary>
    public long Suspensions => Interlocked.Read(ref _suspensions);

    /// <summary>How often an input resumed it.</summary>
    public long Wakes => Interlocked.Read(ref _wakes);

    /// <summary>
    /// How often the loop looks: an eighth of the idle period (so a suspension comes at most ~12% late),
    /// between 50 ms and 2 s. A look costs a few counter reads on the host and nothing in the guest.
    /// </summary>
    internal TimeSpan Tick => TimeSpan.FromTicks(Math.Clamp(_after.Ticks / 8, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(2).Ticks));

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    /// <summary>Resumes the machine first when this suspender stopped it; free when it runs.</summary>
    public ValueTask WakeAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _held) == 0 ? ValueTask.CompletedTask : WakeSlowAsync(cancellationToken);

    /// <summary>
    /// Keeps the machine awake until the lease is disposed (a console attached, a connection open), waking
    /// it first if needed.
    /// </summary>
    public async ValueTask<IDisposable> KeepAwakeAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _leases);
        Interlocked.Increment(ref _leaseEvents);
        var lease = new Lease(this);
        try
        {
            await WakeAsync(cancellationToken);
        }
        catch
        {
            lease.Dispose();
            throw;
        }

        return lease;
    }

    private IdleSample Sample() => _sample() + new IdleSample(Interlocked.Read(ref _leaseEvents), Volatile.Read(ref _leases) > 0);

    private async ValueTask WakeSlowAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (Volatile.Read(ref _held) == 1)
            {
                var clock = _time.GetTimestamp();
                await _resume(cancellationToken);
                Volatile.Write(ref _held, 0);
                Interlocked.Increment(ref _wakes);
                IdleLog.Woke(_logger, _time.GetElapsedTime(clock));
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var seen = _sample();
        var quietSince = _time.GetTimestamp();
        try
        {
            while (true)
            {
                await Task.Delay(Tick, _time, stop);
                var now = Sample();
                if (Volatile.Read(ref _held) == 1 || now != seen || now.Busy || _suspendedElsewhere())
                {
                    // Suspended (by us, until a wake; or by someone else), or something happened: start over.
                    seen = now;
                    quietSince = _time.GetTimestamp();
                    continue;
                }

                if (_time.GetElapsedTime(quietSince) >= _after)
                {
                    await TrySuspendAsync(seen, stop);
                    seen = Sample();
                    quietSince = _time.GetTimestamp();
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    private async Task TrySuspendAsync(IdleSample seen, CancellationToken stop)
    {
        await _gate.WaitAsync(stop);
        try
        {
            if (Sample() != seen || _suspendedElsewhere())
            {
                return;
            }

            // Set before the stop: from here every input takes the gate and waits for the resume.
            Volatile.Write(ref _held, 1);
            try
            {
                await _suspend(stop);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Volatile.Write(ref _held, 0);
                IdleLog.SuspendFailed(_logger, e.Message);
                return;
            }

            Interlocked.Increment(ref _suspensions);
            IdleLog.Suspended(_logger, _after);
            if (Sample() != seen)
            {
                // A call or frame went to the worker before the gate closed: let the guest handle it.
                await _resume(CancellationToken.None);
                Volatile.Write(ref _held, 0);
                Interlocked.Increment(ref _wakes);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops watching. A machine held suspended stays so (it is being disposed or saved).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // Cancelled inside the suspend call: nothing more to undo.
        }

        _stop.Dispose();
    }

    private sealed class Lease(IdleSuspender owner) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Interlocked.Increment(ref owner._leaseEvents);
                Interlocked.Decrement(ref owner._leases);
            }
        }
    }
}
