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
            "setsid sh -c 'while :; do :; done' >/dev/null 2>&1 </dev/null & p=$!; " +
            // The agent kills the command's process group when it ends: wait until the loop has left it.
            "while [ \"$(cut -d' ' -f6 /proc/$p/stat)\" != \"$p\" ]; do :; done"), CancellationToken.None);

        var running = await CpuShareAsync(vm.WorkerProcessId, TimeSpan.FromSeconds(2));
        await vm.SuspendAsync(CancellationToken.None);
        var suspended = await CpuShareAsync(vm.WorkerProcessId, TimeSpan.FromSeconds(3));
        await vm.ResumeAsync(CancellationToken.None);

        // The host is shared (load averages of 20+ on 2 cores were seen): the running share is whatever the
        // scheduler gives, so the bound is relative to it as well as absolute.
        Assert.True(running > 0.08, $"the busy guest used only {running:P0} of a core while running (the test's premise)");
        Assert.True(suspended < 0.03 && suspended < running / 4, $"the suspended worker used {suspended:P1} of a core (running: {running:P0})");
        var alive = await vm.Agent.ExecAsync(ExecRequest.ForShell("for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; done | grep -c '^sh -c while' || true"), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(int.Parse(alive.StdoutText.Trim(), System.Globalization.CultureInfo.InvariantCulture) >= 1, alive.StdoutText + alive.StderrText);
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
