using Sandbox86.Guest;
using Sandbox86.Machines.Worker;

namespace Sandbox86.Machines;

/// <summary>
/// Pings the agent while the machine lives. A guest that stops answering for the whole allowance
/// (kernel hang, agent wedged, emulator stuck) gets its worker killed, which fails every pending call
/// with a clear reason instead of leaving the caller waiting forever.
/// </summary>
internal sealed class GuestWatchdog : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private GuestWatchdog(AgentClient agent, IWorkerConnection worker, TimeSpan allowance)
    {
        _loop = Task.Run(() => RunAsync(agent, worker, allowance, _stop.Token));
    }

    public static GuestWatchdog Start(AgentClient agent, IWorkerConnection worker, TimeSpan allowance) => new(agent, worker, allowance);

    private static async Task RunAsync(AgentClient agent, IWorkerConnection worker, TimeSpan allowance, CancellationToken stop)
    {
        // A few pings per allowance: one slow answer from a busy guest is not a hang.
        var interval = allowance / 3;
        var lastAnswer = DateTime.UtcNow;
        try
        {
            while (!stop.IsCancellationRequested && !worker.HasExited)
            {
                await Task.Delay(interval, stop);
                try
                {
                    await agent.PingAsync(stop).WaitAsync(interval, stop);
                    lastAnswer = DateTime.UtcNow;
                }
                catch (TimeoutException)
                {
                    if (DateTime.UtcNow - lastAnswer >= allowance)
                    {
                        worker.Abort($"the guest stopped answering for {allowance.TotalSeconds:0}s (hung); the VM was killed");
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
