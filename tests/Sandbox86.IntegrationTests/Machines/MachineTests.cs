using System.Diagnostics;
using Sandbox86.Guest;
using Sandbox86.IntegrationTests.Infrastructure;
using Sandbox86.Machines;

namespace Sandbox86.IntegrationTests.Machines;

/// <summary>The library API on the default image: restores, isolation, timeouts, worker death.</summary>
public sealed class MachineTests
{
    [Fact]
    public async Task Two_restores_of_one_snapshot_are_independent()
    {
        var image = DefaultImage.Open();
        await using var first = await Machine.StartAsync(image, new MachineOptions(), CancellationToken.None);
        await using var second = await Machine.StartAsync(image, new MachineOptions(), CancellationToken.None);
        Assert.True(first.Restored && second.Restored, "both machines come from the boot snapshot");

        var write = await first.Agent.ExecAsync(ExecRequest.ForShell("echo mine > /root/marker && cat /root/marker"), CancellationToken.None);
        Assert.Equal("mine\n", write.StdoutText);
        var look = await second.Agent.ExecAsync(ExecRequest.ForShell("test -e /root/marker && echo present || echo absent"), CancellationToken.None);
        Assert.Equal("absent\n", look.StdoutText);
    }

    [Fact]
    public async Task A_timed_out_command_gets_124_and_leaves_no_process_behind()
    {
        var image = DefaultImage.Open();
        await using var vm = await Machine.StartAsync(image, new MachineOptions(), CancellationToken.None);
        var result = await vm.Agent.ExecAsync(new ExecRequest
        {
            Shell = "sleep 300 & sleep 301; echo never",
            Timeout = TimeSpan.FromSeconds(1),
        }, CancellationToken.None);
        Assert.True(result.TimedOut);
        Assert.Equal(124, result.ExitCode);

        var left = await vm.Agent.ExecAsync(ExecRequest.ForShell("for p in /proc/[0-9]*; do cat $p/cmdline 2>/dev/null | tr '\\0' ' '; echo; done | grep -c '^sleep 30' || true"), CancellationToken.None);
        Assert.Equal("0", left.StdoutText.Trim());
    }

    [Fact]
    public async Task Killing_the_worker_mid_exec_fails_the_call_within_a_second()
    {
        var image = DefaultImage.Open();
        await using var vm = await Machine.StartAsync(image, new MachineOptions(), CancellationToken.None);
        var exec = vm.Agent.ExecAsync(ExecRequest.ForShell("sleep 60"), CancellationToken.None);
        await Task.Delay(300);
        var clock = Stopwatch.StartNew();
        Process.GetProcessById(vm.WorkerProcessId).Kill();
        var error = await Record.ExceptionAsync(() => exec.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.NotNull(error);
        Assert.IsNotType<TimeoutException>(error);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"the pending exec failed after {clock.Elapsed}");
    }

    [Fact]
    public async Task Exec_of_true_succeeds_and_a_missing_program_exits_127()
    {
        var image = DefaultImage.Open();
        await using var vm = await Machine.StartAsync(image, new MachineOptions(), CancellationToken.None);
        var result = await vm.Agent.ExecAsync(ExecRequest.ForArgv("/bin/true"), CancellationToken.None);
        Assert.Equal(0, result.ExitCode);
        var missing = await vm.Agent.ExecAsync(ExecRequest.ForArgv("/no/such/program"), CancellationToken.None);
        Assert.Equal(127, missing.ExitCode);
    }

    [Fact]
    public async Task A_hung_guest_is_detected_by_the_watchdog_and_pending_calls_fail_with_the_reason()
    {
        var image = DefaultImage.Open();
        await using var vm = await Machine.StartAsync(image, new MachineOptions { Watchdog = TimeSpan.FromSeconds(3) }, CancellationToken.None);
        var exec = vm.Agent.ExecAsync(ExecRequest.ForShell("sleep 120"), CancellationToken.None);
        // SIGSTOP freezes the emulator as a guest hang would: nothing answers any more.
        using (var stop = Process.Start("kill", ["-STOP", vm.WorkerProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await stop.WaitForExitAsync();
        }

        var error = await Record.ExceptionAsync(() => exec.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.NotNull(error);
        Assert.IsNotType<TimeoutException>(error);
        var reason = await vm.Exited.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Contains("stopped answering", reason.Message, StringComparison.Ordinal);
    }
}
