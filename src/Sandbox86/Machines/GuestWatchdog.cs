using Sandbox86.Guest;
using Sandbox86.Machines.Worker;

namespace Sandbox86.Machines;

/// <summary>
/// Pings the agent while the machine lives. A guest that stops answering for the whole allowance
/// (kernel hang, agent wedged, emulator stuck) gets its worker killed, which fails every pending call
/// with a clear reason instead of leaving the caller waiting forever. Every wait runs on the injected
/// <see cref="TimeProvider"/>, so the policy is tested on a fake clock.
/// </summary>
internal sealed class GuestWatchdog : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<CancellationToken, Task> _ping;
    private readonly Func<bool> _hasExited;
    private readonly Action<string> _kill;
    private readonly TimeSpan _allowance;
    private readonly TimeProvider _time;
    private readonly Task _loop;

    /// <param name="ping">One agent round trip; throws <see cref="AgentException"/> when the channel is gone.</param>
    /// <param name="hasExited">Whether the worker already ended (nothing left to watch).</param>
    /// <param name="kill">Kills the worker with the reason given.</param>
    /// <param name="allowance">How long the guest may go without answering.</param>
    /// <param name="time">The clock every wait runs on.</param>
    internal GuestWatchdog(Func<CancellationToken, Task> ping, Func<bool> hasExited, Action<string> kill, TimeSpan allowance, TimeProvider time)
    {
        _ping = ping;
        _hasExited = hasExited;
        _kill = kill;
        _allowance = allowance;
        _time = time;
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    public static GuestWatchdog Start(AgentClient agent, IWorkerConnection worker, TimeSpan allowance, TimeProvider? time = null) =>
        new(agent.PingAsync, () => worker.HasExited, worker.Abort, allowance, time ?? TimeProvider.System);

    /// <summary>Ended: the guest was declared hung, the channel went away, or the watchdog was disposed.</summary>
    internal Task Completion => _loop;

    private async Task RunAsync(CancellationToken stop)
    {
        // A few pings per allowance: one slow answer from a busy guest is not a hang.
        var interval = _allowance / 3;
        var lastAnswer = _time.GetTimestamp();
        try
        {
            while (!stop.IsCancellationRequested && !_hasExited())
            {
                await Task.Delay(interval, _time, stop);
                try
                {
                    await _ping(stop).WaitAsync(interval, _time, stop);
                    lastAnswer = _time.GetTimestamp();
                }
                catch (TimeoutException)
                {
                    if (_time.GetElapsedTime(lastAnswer) >= _allowance)
                    {
                        _kill($"the guest stopped answering for {_allowance.TotalSeconds:0}s (hung); the VM was killed");
                        return;
                    }
                }
                catch (AgentException)
                {
                    // The channel is gone: the worker's own exit reports why.
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Machine disposed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
