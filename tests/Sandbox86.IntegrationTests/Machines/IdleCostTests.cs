using System.Diagnostics;
using System.Globalization;
using Sandbox86.Guest;
using Sandbox86.IntegrationTests.Infrastructure;
using Sandbox86.Machines;

namespace Sandbox86.IntegrationTests.Machines;

/// <summary>One restored VM, shared by the facts below, that the class leaves idle between calls.</summary>
public sealed class IdleMachineFixture : IAsyncLifetime
{
    public Machine Vm { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // No watchdog: its ping every 10 s is host-driven work (a JIT and GC burst in the worker), not the
        // idle cost these facts are about; the bench reports both.
        Vm = await Machine.StartAsync(DefaultImage.Open(), new MachineOptions { Watchdog = null }, CancellationToken.None);
        await Vm.Agent.PingAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await Vm.DisposeAsync();
}

/// <summary>
/// An idle VM must cost almost nothing (issue 9, item 3): before the fix its worker burned ~24% of a core
/// (setImmediate spinning before every one of the kernel's 250 ticks a second).
/// </summary>
public sealed class IdleCostTests(IdleMachineFixture fixture) : IClassFixture<IdleMachineFixture>
{
    /// <summary>
    /// A count inside the guest, not a host timing: host load can only lower it, so a loaded machine
    /// never fails a fixed build. Without coalescing the kernel takes ~250 timer interrupts a second.
    /// </summary>
    [Fact]
    public async Task An_idle_guest_takes_few_timer_interrupts()
    {
        var result = await fixture.Vm.Agent.ExecAsync(ExecRequest.ForShell(
            "a=$(awk '$1==\"0:\"{print $2}' /proc/interrupts); sleep 4; b=$(awk '$1==\"0:\"{print $2}' /proc/interrupts); echo $((b-a))"),
            CancellationToken.None);
        Assert.Equal(0, result.ExitCode);
        var perSecond = int.Parse(result.StdoutText.Trim(), CultureInfo.InvariantCulture) / 4.0;
        // Coalesced at 50 ms: 35-46 a second measured (each coalesced wake can take two); uncoalesced ~250,
        // and 87 with 60 processes runnable on 2 cores.
        Assert.True(perSecond < 70, $"the idle guest took {perSecond:0} timer interrupts a second (coalesced: ~40; uncoalesced: ~250)");
    }

    /// <summary>
    /// The worker's CPU time over 10 s, after the restore's own work has settled. The bound is generous
    /// (measured: 1-5%, at worst ~10% in one 10 s window with ~45 processes runnable on 2 cores) and the
    /// worker without the fix fails it clearly (17-25%; 20.4% at load 60).
    /// </summary>
    [Fact]
    public async Task An_idle_worker_uses_little_cpu()
    {
        await Task.Delay(TimeSpan.FromSeconds(3));
        var window = TimeSpan.FromSeconds(10);
        var before = CpuTime(fixture.Vm.WorkerProcessId);
        await Task.Delay(window);
        var percent = (CpuTime(fixture.Vm.WorkerProcessId) - before) / window * 100;
        Assert.True(percent < 15, $"the idle worker used {percent:0.0}% of a core over {window.TotalSeconds:0} s");
    }

    /// <summary>
    /// Coalesced timers must not slow the guest's clock: the kernel catches up on the TSC. Each reading is
    /// bracketed by host timestamps, so a slow exec on a loaded host widens the bound instead of failing it.
    /// </summary>
    [Fact]
    public async Task The_guest_clock_keeps_time_while_idle()
    {
        var host = Stopwatch.StartNew();
        var (firstFrom, first, firstTo) = await GuestSecondsAsync(host);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var (secondFrom, second, secondTo) = await GuestSecondsAsync(host);
        var guest = second - first;
        const double slack = 0.1;
        Assert.True(guest >= secondFrom - firstTo - slack && guest <= secondTo - firstFrom + slack,
            $"the guest clock moved {guest:0.000} s while the host's moved between {secondFrom - firstTo:0.000} and {secondTo - firstFrom:0.000} s");
    }

    private async Task<(double From, double Guest, double To)> GuestSecondsAsync(Stopwatch host)
    {
        var from = host.Elapsed.TotalSeconds;
        var result = await fixture.Vm.Agent.ExecAsync(ExecRequest.ForArgv("cat", "/proc/uptime"), CancellationToken.None);
        var to = host.Elapsed.TotalSeconds;
        return (from, double.Parse(result.StdoutText.Split(' ')[0], CultureInfo.InvariantCulture), to);
    }

    private static TimeSpan CpuTime(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // utime and stime (fields 14 and 15 of stat(5)) in USER_HZ = 100 ticks a second.
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }
}
