using Sandbox86.Guest;
using Sandbox86.Machines;
using Sandbox86.Tests.Network.Fakes;

namespace Sandbox86.Tests.Machines;

/// <summary>The watchdog's policy on a fake clock: pings every allowance/3, kills only after a whole allowance of silence.</summary>
public sealed class GuestWatchdogTests
{
    private static readonly TimeSpan Allowance = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Interval = Allowance / 3;

    private sealed class Worker
    {
        public readonly List<string> Kills = [];
        public int Pings;

        public void Kill(string reason)
        {
            lock (Kills)
            {
                Kills.Add(reason);
            }
        }
    }

    [Fact]
    public async Task A_guest_silent_for_the_whole_allowance_is_killed_and_not_before()
    {
        var time = new ManualTimeProvider(manualTimers: true);
        var worker = new Worker();
        var never = new TaskCompletionSource();
        await using var watchdog = new GuestWatchdog(_ => { Interlocked.Increment(ref worker.Pings); return never.Task; },
            () => false, worker.Kill, Allowance, time);

        // t=1 ping, t=2 it times out (2 s of silence < 3 s), t=3 ping, t=4 it times out: 4 s ≥ 3 s, killed.
        for (var step = 0; step < 3; step++)
        {
            await time.WaitForTimersAsync();
            time.Advance(Interval);
        }

        await time.WaitForTimersAsync();
        Assert.Empty(worker.Kills);
        Assert.Equal(2, worker.Pings);
        time.Advance(Interval);
        await watchdog.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("the guest stopped answering for 3s (hung); the VM was killed", Assert.Single(worker.Kills));
    }

    [Fact]
    public async Task A_guest_that_answers_is_never_killed()
    {
        var time = new ManualTimeProvider(manualTimers: true);
        var worker = new Worker();
        var watchdog = new GuestWatchdog(_ => { Interlocked.Increment(ref worker.Pings); return Task.CompletedTask; },
            () => false, worker.Kill, Allowance, time);
        for (var step = 0; step < 10; step++)
        {
            await time.WaitForTimersAsync();
            time.Advance(Interval);
        }

        await time.WaitForTimersAsync();
        Assert.Equal(10, worker.Pings);
        Assert.Empty(worker.Kills);
        await watchdog.DisposeAsync();
        Assert.True(watchdog.Completion.IsCompletedSuccessfully);
        Assert.Equal(0, time.PendingTimers);
    }

    [Fact]
    public async Task A_lost_agent_channel_ends_the_watchdog_without_a_kill()
    {
        var time = new ManualTimeProvider(manualTimers: true);
        var worker = new Worker();
        await using var watchdog = new GuestWatchdog(_ => throw new AgentException("channel closed"), () => false, worker.Kill, Allowance, time);
        await time.WaitForTimersAsync();
        time.Advance(Interval);
        await watchdog.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(worker.Kills);
    }
}
