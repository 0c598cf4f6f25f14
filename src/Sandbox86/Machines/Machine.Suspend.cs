using Sandbox86.Machines.Worker;

namespace Sandbox86.Machines;

public sealed partial class Machine
{
    private readonly SemaphoreSlim _suspendLock = new(1, 1);
    private TimeSpan? _watchdogAllowance;
    private bool _suspended;

    /// <summary>True while the emulator is stopped by <see cref="SuspendAsync"/>.</summary>
    public bool IsSuspended => Volatile.Read(ref _suspended);

    /// <summary>
    /// Stops the emulator: no guest instruction runs and the worker burns ~no CPU until
    /// <see cref="ResumeAsync"/>. Guest RAM stays in the worker. The watchdog stops too, since a stopped
    /// guest never answers its pings. Calls to the agent made meanwhile wait for the resume.
    /// </summary>
    public async Task SuspendAsync(CancellationToken cancellationToken)
    {
        await _suspendLock.WaitAsync(cancellationToken);
        try
        {
            if (_suspended)
            {
                return;
            }

            if (_watchdog is { } watchdog)
            {
                _watchdog = null;
                await watchdog.DisposeAsync();
            }

            try
            {
                await _worker.SuspendAsync(cancellationToken);
            }
            catch
            {
                RestartWatchdog();
                throw;
            }

            Volatile.Write(ref _suspended, true);
        }
        finally
        {
            _suspendLock.Release();
        }
    }

    /// <summary>
    /// Runs a suspended emulator again, resets the guest's wall clock (it stood still while suspended;
    /// sent without waiting, like after a restore: the agent handles it before anything sent next) and
    /// restarts the watchdog. A no-op on a running machine.
    /// </summary>
    public async Task ResumeAsync(CancellationToken cancellationToken)
    {
        await _suspendLock.WaitAsync(cancellationToken);
        try
        {
            if (!_suspended)
            {
                return;
            }

            await _worker.ResumeAsync(cancellationToken);
            Volatile.Write(ref _suspended, false);
            var clock = Agent.SetClockAsync(DateTimeOffset.UtcNow, CancellationToken.None);
            _ = clock.ContinueWith(t => MachineLog.ResyncFailed(_logger, t.Exception?.InnerException?.Message),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            RestartWatchdog();
        }
        finally
        {
            _suspendLock.Release();
        }
    }

    private void RestartWatchdog()
    {
        if (_watchdogAllowance is { } allowance && _watchdog is null)
        {
            _watchdog = GuestWatchdog.Start(Agent, _worker, allowance);
        }
    }
}
