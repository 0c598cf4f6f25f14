using Sandbox86.Guest;
using Sandbox86.IntegrationTests.Infrastructure;
using Sandbox86.Machines;
using Sandbox86.Machines.Worker;

namespace Sandbox86.IntegrationTests.Machines;

/// <summary>
/// The spare worker a long-lived host holds (WorkerPrespawn): the first restore takes a blank spare, the
/// next spare is primed for that restore (v86 built, waiting for the state) and serves the next one.
/// </summary>
public sealed class WorkerPrespawnTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task A_held_spare_serves_a_restore_and_the_next_spare_is_primed_for_the_one_after()
    {
        var image = DefaultImage.Open();
        var options = new MachineOptions { BootTimeout = Generous, RestoreTimeout = Generous };
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        using var hold = WorkerPrespawn.Hold();
        Assert.True(WorkerPrespawn.Keeping);
        // Make sure a boot snapshot exists, so both starts below are restores of it.
        await using (var warm = await Machine.StartAsync(image, options, cts.Token))
        {
            Assert.True(warm.Restored);
        }

        var spare = await WorkerPrespawn.PeekSpareAsync(cts.Token);
        Assert.NotNull(spare);
        Assert.True(spare.Value.Primed, "after a restore the next spare is primed for it");
        await using var vm = await Machine.StartAsync(image, options, cts.Token);
        Assert.True(vm.Restored);
        Assert.Equal(spare.Value.ProcessId, vm.WorkerProcessId);
        var result = await vm.Agent.ExecAsync(new ExecRequest { Argv = ["sh", "-c", "echo hi; cat /proc/sys/kernel/random/boot_id"] }, cts.Token);
        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("hi\n", result.StdoutText);

        // Taking the spare started its replacement: a worker of its own, never the one now in use.
        var next = await WorkerPrespawn.PeekSpareAsync(cts.Token);
        Assert.NotNull(next);
        Assert.NotEqual(vm.WorkerProcessId, next.Value.ProcessId);
    }

    [Fact]
    public async Task Without_a_hold_no_spare_is_kept()
    {
        Assert.False(WorkerPrespawn.Keeping);
        Assert.Null(await WorkerPrespawn.PeekSpareAsync(CancellationToken.None));
    }
}
