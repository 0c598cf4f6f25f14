using System.Collections.Immutable;
using Sandbox86.Machines.Idle;

namespace Sandbox86.Machines;

/// <summary>Idle suspension (issue 9, item 3's fallback): the hooks a machine offers it.</summary>
public sealed partial class Machine
{
    private IdleSuspender? _idle;
    private ImmutableArray<Func<IdleSample>> _idleProbes = [];
    private long _inputsToGuest;

    /// <summary>True while the machine is suspended for being idle (the next call, frame or connection wakes it).</summary>
    public bool IsIdleSuspended => _idle?.IsHolding ?? false;

    /// <summary>How often the machine was suspended for being idle, and how often it was woken since.</summary>
    public (long Suspensions, long Wakes) IdleSuspensions => _idle is { } idle ? (idle.Suspensions, idle.Wakes) : (0, 0);

    /// <summary>
    /// Suspends the emulator (<see cref="SuspendAsync"/>: no CPU, watchdog paused) once the machine has been
    /// idle for <paramref name="after"/>: no agent call pending, no command running, no frame sent toward the
    /// guest, no TCP flow open on its own network, no <see cref="KeepAwakeAsync"/> lease. The next agent
    /// call, frame toward the guest (an inbound forwarded connection starts with one) or console input
    /// resumes it first (clock resynced), so callers see no failure and lose no data. Zero or less does
    /// nothing; a second call is ignored.
    /// </summary>
    public void EnableIdleSuspend(TimeSpan after)
    {
        if (after <= TimeSpan.Zero)
        {
            return;
        }

        var idle = new IdleSuspender(after, SampleIdle, SuspendAsync, ResumeAsync, () => IsSuspended, TimeProvider.System, _logger);
        if (Interlocked.CompareExchange(ref _idle, idle, null) is not null)
        {
            return;
        }

        _agentStream.BeforeWrite = idle.WakeAsync;
        idle.Start();
    }

    /// <summary>
    /// Keeps the machine awake (waking it first) until the lease is disposed: for a console attachment or a
    /// connection that must not see the guest stop. Without idle suspension it costs nothing.
    /// </summary>
    public ValueTask<IDisposable> KeepAwakeAsync(CancellationToken cancellationToken) =>
        _idle is { } idle ? idle.KeepAwakeAsync(cancellationToken) : ValueTask.FromResult<IDisposable>(NoLease.Instance);

    /// <summary>Adds a reading of something else that keeps the machine awake (its network's flows); dispose to remove.</summary>
    internal IDisposable AddIdleProbe(Func<IdleSample> probe)
    {
        ImmutableInterlocked.Update(ref _idleProbes, p => p.Add(probe));
        return new ProbeRegistration(this, probe);
    }

    private IdleSample SampleIdle()
    {
        var (opened, open) = Agent.CallActivity;
        var sample = new IdleSample(opened + Interlocked.Read(ref _inputsToGuest), open > 0);
        foreach (var probe in _idleProbes)
        {
            sample += probe();
        }

        return sample;
    }

    /// <summary>A frame or console bytes toward the guest: counted as activity, and sent once the machine is awake.</summary>
    private async Task SendToGuestAfterWakeAsync(IdleSuspender idle, ReadOnlyMemory<byte> bytes, bool serial, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _inputsToGuest);
        await idle.WakeAsync(cancellationToken);
        await (serial ? _worker.SendSerialAsync(bytes, cancellationToken) : _worker.SendNetAsync(bytes, cancellationToken));
    }

    private async ValueTask DisposeIdleAsync()
    {
        if (_idle is { } idle)
        {
            await idle.DisposeAsync();
        }
    }

    private sealed class ProbeRegistration(Machine machine, Func<IdleSample> probe) : IDisposable
    {
        public void Dispose() => ImmutableInterlocked.Update(ref machine._idleProbes, p => p.Remove(probe));
    }

    private sealed class NoLease : IDisposable
    {
        public static readonly NoLease Instance = new();

        public void Dispose()
        {
        }
    }
}
