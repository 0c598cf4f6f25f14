using Sandbox86.Guest;
using Sandbox86.Machines;

namespace Sandbox86.Tests.Machines;

/// <summary><see cref="Machine.SuspendAsync"/> and <see cref="Machine.ResumeAsync"/> against a scripted worker.</summary>
public sealed class MachineSuspendTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sandbox86-suspend-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private async Task<(Machine Machine, ScriptedWorker Worker)> StartAsync(TimeSpan? watchdog)
    {
        var workers = new ScriptedWorkers(new WorkerScript());
        var options = new MachineOptions { Cold = true, WorkerFactory = workers.StartAsync, Watchdog = watchdog };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var machine = await Machine.StartAsync(FakeImage.Create(_root), options, cts.Token);
        return (machine, workers.Started.Single());
    }

    [Fact]
    public async Task A_suspended_machine_answers_nothing_until_resumed_and_then_its_clock_is_reset()
    {
        var (machine, worker) = await StartAsync(watchdog: null);
        await using var _ = machine;
        await machine.SuspendAsync(CancellationToken.None);
        Assert.True(machine.IsSuspended);
        Assert.True(worker.Suspended);
        var clockSetsBefore = worker.ClockSets;

        var exec = machine.Agent.ExecAsync(new ExecRequest { Shell = "true" });
        await Task.Delay(300);
        Assert.False(exec.IsCompleted, "a suspended guest must not run the command");

        await machine.ResumeAsync(CancellationToken.None);
        Assert.False(machine.IsSuspended);
        Assert.Equal(0, (await exec.WaitAsync(TimeSpan.FromSeconds(10))).ExitCode);
        Assert.Equal(1, worker.ExecCount);
        Assert.True(worker.ClockSets > clockSetsBefore, "the resume resets the guest's clock");
    }

    [Fact]
    public async Task Suspend_and_resume_are_idempotent_and_reach_the_worker_once_each()
    {
        var (machine, worker) = await StartAsync(watchdog: null);
        await using var _ = machine;
        await machine.ResumeAsync(CancellationToken.None);
        Assert.Equal(0, worker.Resumes);
        await machine.SuspendAsync(CancellationToken.None);
        await machine.SuspendAsync(CancellationToken.None);
        await machine.ResumeAsync(CancellationToken.None);
        await machine.ResumeAsync(CancellationToken.None);
        Assert.Equal(1, worker.Suspends);
        Assert.Equal(1, worker.Resumes);
    }

    [Fact]
    public async Task The_watchdog_does_not_kill_a_suspended_machine_and_watches_again_after_the_resume()
    {
        // 300 ms allowance: a watchdog left running would declare the stopped guest hung within ~0.5 s.
        var (machine, worker) = await StartAsync(watchdog: TimeSpan.FromMilliseconds(300));
        await using var _ = machine;
        await machine.SuspendAsync(CancellationToken.None);
        await Task.Delay(1500);
        Assert.False(worker.HasExited, "the watchdog killed a suspended machine");

        await machine.ResumeAsync(CancellationToken.None);
        Assert.Equal(0, (await machine.Agent.ExecAsync(new ExecRequest { Shell = "true" }).WaitAsync(TimeSpan.FromSeconds(10))).ExitCode);
        // Now running again with no answers: the restarted watchdog must notice.
        worker.StopAnswering();
        var exited = await worker.Exited.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("hung", exited.Message, StringComparison.Ordinal);
    }
}
