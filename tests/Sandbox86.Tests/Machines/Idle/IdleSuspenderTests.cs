using Sandbox86.Machines.Idle;
using Sandbox86.Tests.Network.Fakes;

namespace Sandbox86.Tests.Machines.Idle;

/// <summary>The idle policy on a fake clock: when it suspends, what keeps it awake, and what a wake undoes.</summary>
public sealed class IdleSuspenderTests
{
    private static readonly TimeSpan After = TimeSpan.FromSeconds(1);

    private sealed class FakeMachine
    {
        public long Events;
        public bool Busy;
        public bool Suspended;
        public bool SuspendedElsewhere;
        public int Suspends;
        public int Resumes;
        public Action? DuringSuspend;

        public IdleSample Sample() => new(Interlocked.Read(ref Events), Volatile.Read(ref Busy));

        public Task SuspendAsync(CancellationToken cancellationToken)
        {
            Suspends++;
            DuringSuspend?.Invoke();
            Suspended = true;
            return Task.CompletedTask;
        }

        public Task ResumeAsync(CancellationToken cancellationToken)
        {
            Resumes++;
            Suspended = false;
            return Task.CompletedTask;
        }
    }

    private static IdleSuspender Start(FakeMachine machine, ManualTimeProvider time)
    {
        var idle = new IdleSuspender(After, machine.Sample, machine.SuspendAsync, machine.ResumeAsync,
            () => machine.Suspended || machine.SuspendedElsewhere, time, logger: null);
        idle.Start();
        return idle;
    }

    /// <summary>Lets the loop take <paramref name="ticks"/> looks, each after its wait on the clock.</summary>
    private static async Task RunTicksAsync(ManualTimeProvider time, IdleSuspender idle, int ticks)
    {
        for (var i = 0; i < ticks; i++)
        {
            await time.WaitForTimersAsync();
            time.Advance(idle.Tick);
        }

        await time.WaitForTimersAsync();
    }

    [Fact]
    public async Task A_quiet_machine_is_suspended_after_the_period_and_not_before_and_a_wake_resumes_it()
    {
        var time = new ManualTimeProvider(manualTimers: true);
        var machine = new FakeMachine();
        await using var idle = Start(machine, time);
        var ticksPerPeriod = (int)(After / idle.Tick);

        await RunTicksAsync(time, idle, ticksPerPeriod - 1);
        Assert.Equal(0, machine.Suspends);

        await RunTicksAsync(time, idle, 2);
        Assert.Equal(1, machine.Suspends);
        Assert.True(idle.IsHolding);

        await idle.WakeAsync(CancellationToken.None);
        Assert.Equal(1, machine.Resumes);
        Assert.False(idle.IsHolding);
        Assert.Equal(1, idle.Wakes);
        // Awake again: a wake costs nothing more.
        await idle.WakeAsync(CancellationToken.None);
        Assert.Equal(1, machine.Resumes);
    }

    [Fact]
    public async Task Something_open_or_something_happening_keeps_the_machine_awake()
    {
        var time = new ManualTimeProvider(manualTimers: true);
        var machine = new FakeMachine { Busy = true };
        await using var idle = Start(machine, time);
        var ticksPerPeriod = (int)(After / idle.Tick);

        await RunTicksAsync(time, idle, 3 * ticksPerPeriod);
        Assert.Equal(0, machine.Suspends);

        // Not busy, but an event every half period: still awake.
        machine.Busy = false;
        for (var i = 0; i < 6; i++)
        {
            Interlocked.Increment(ref machine.Events);
            await RunTicksAsync(time, idle, ticksPerPeriod / 2);
        }

        Assert.Equal(0, machine.Suspends);

        // A lease is something open too.
        var lease = await idle.KeepAwakeAsync(CancellationToken.None);
        await RunTicksAsync(time, idle, 3 * ticksPerPeriod);
        Assert.Equal(0, machine.Suspends);
        lease.Dispose();
        await RunTicksAsync(time, idle, ticksPerPeriod + 2);
        Assert.Equal(1, machine.Suspends);
    }

    [Fact]
    public async Task An_input_that_slipped_in_while_the_emulator_stopped_resumes_it_at_once()
    {
        var time = new ManualTimeProvider(manualTimers: true);
        var machine = new FakeMachine();
        machine.DuringSuspend = () => Interlocked.Increment(ref machine.Events);
        await using var idle = Start(machine, time);

        await RunTicksAsync(time, idle, (int)(After / idle.Tick) + 2);

        Assert.Equal(1, machine.Suspends);
        Assert.Equal(1, machine.Resumes);
        Assert.False(machine.Suspended);
        Assert.False(idle.IsHolding);
    }

    [Fact]
    public async Task A_machine_someone_else_suspended_is_left_to_them()
    {
        var time = new ManualTimeProvider(manualTimers: true);
        var machine = new FakeMachine { SuspendedElsewhere = true };
        await using var idle = Start(machine, time);

        await RunTicksAsync(time, idle, 3 * (int)(After / idle.Tick));
        await idle.WakeAsync(CancellationToken.None);

        Assert.Equal(0, machine.Suspends);
        Assert.Equal(0, machine.Resumes);
    }
}
