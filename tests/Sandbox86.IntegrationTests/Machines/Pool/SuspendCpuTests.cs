using System.Diagnostics;
using Sandbox86.Guest;
using Sandbox86.IntegrationTests.Infrastructure;
using Sandbox86.Machines;

namespace Sandbox86.IntegrationTests.Machines.Pool;

/// <summary>A suspended worker really stops: a guest spinning a CPU loop costs ~no host CPU while suspended.</summary>
public sealed class SuspendCpuTests
{
    [Fact]
    public async Task A_suspended_worker_with_a_busy_guest_burns_almost_no_CPU_and_the_guest_carries_on_after_resume()
    {
        var image = DefaultImage.Open();
        await using var vm = await Machine.StartAsync(image, new MachineOptions(), CancellationToken.None);
        // A spinning guest keeps a running emulator at ~100% of a core, whatever its idle cost is.
        await vm.Agent.ExecAsync(ExecRequest.ForShell(
            "setsid sh -c 'while :; do :; done' >/dev/null 2>&1 </dev/null & p=$!; echo $p > /tmp/spinner; " +
            // The agent kills the command's process group when it ends: wait until the loop has left it.
            "while [ \"$(cut -d' ' -f6 /proc/$p/stat)\" != \"$p\" ]; do :; done"), CancellationToken.None);

        var running = await CpuShareAsync(vm.WorkerProcessId, TimeSpan.FromSeconds(2));
        var worker = (Sandbox86.Machines.Worker.WorkerProcess)vm.WorkerConnection;
        await vm.SuspendAsync(CancellationToken.None);
        var stoppedAt = (await worker.GetStatsAsync(CancellationToken.None)).Instructions;
        // V8 keeps tiering up the wasm that v86's JIT made for the busy loop on background threads for a
        // moment after the stop; the steady state is what a suspended pool machine costs.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var suspended = await CpuShareAsync(vm.WorkerProcessId, TimeSpan.FromSeconds(3));
        var stillAt = (await worker.GetStatsAsync(CancellationToken.None)).Instructions;
        await vm.ResumeAsync(CancellationToken.None);

        // The host is shared (load averages of 20+ on 2 cores were seen): the running share is whatever the
        // scheduler gives, so the bound is relative to it as well as absolute.
        Assert.True(running > 0.08, $"the busy guest used only {running:P0} of a core while running (the test's premise)");
        Assert.Equal(stoppedAt, stillAt);
        // Measured here: 5-20% right after the stop, falling over seconds (V8's background wasm tier-up of
        // the code v86's JIT made for the loop), ~1% for an idle guest's worker (a direct v86 stop() probe).
        Assert.True(suspended < 0.10 && suspended < running / 3, $"the suspended worker used {suspended:P1} of a core (running: {running:P0})");
        // The spinner survived the suspension: killing it by its pid succeeds (kill fails for a gone process).
        var killed = await vm.Agent.ExecAsync(ExecRequest.ForShell("kill $(cat /tmp/spinner) && echo killed"), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Equal("killed\n", killed.StdoutText);
    }

    /// <summary>The process's user+system CPU time over <paramref name="window"/>, as a share of one core.</summary>
    private static async Task<double> CpuShareAsync(int pid, TimeSpan window)
    {
        using var process = Process.GetProcessById(pid);
        var before = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await Task.Delay(window);
        process.Refresh();
        return (process.TotalProcessorTime - before).TotalSeconds / clock.Elapsed.TotalSeconds;
    }
}
