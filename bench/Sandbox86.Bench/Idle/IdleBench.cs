using System.Diagnostics;
using Sandbox86.Guest;
using Sandbox86.Images.Store;
using Sandbox86.Machines;

namespace Sandbox86.Bench.Idle;

/// <summary>
/// Idle cost and fairness on the default image (issue 9, items 3 and 4): the worker CPU of a running VM
/// whose guest does nothing (median over several windows; with the watchdog off and with timer coalescing
/// off, to show each part), and the exec round trip of an idle VM while four others run a CPU loop.
/// </summary>
internal static class IdleBench
{
    public static async Task RunAsync(int windows, int seconds, bool suspendOnly = false)
    {
        var image = ImageStore.Default.Open("default");
        Console.WriteLine($"machine: {Stats.Machine()}; load average before: {LoadAverage()}");
        var window = TimeSpan.FromSeconds(seconds);
        await IdleSuspendBench.RunAsync(image, runs: 10);
        if (suspendOnly)
        {
            return;
        }

        await IdleCpuAsync(image, "idle VM, defaults", new MachineOptions(), windows, window);
        await IdleCpuAsync(image, "idle VM, watchdog off", new MachineOptions { Watchdog = null }, windows, window);
        await IdleCpuAsync(image, "idle VM, timer coalescing off", new MachineOptions { IdleTimerCoalescing = null }, windows, window);
        await FairnessAsync(image);
        Console.WriteLine($"load average after: {LoadAverage()}");
    }

    private static async Task IdleCpuAsync(StoredImage image, string what, MachineOptions options, int windows, TimeSpan window)
    {
        await using var vm = await Machine.StartAsync(image, options, CancellationToken.None);
        // Let the restore's own work (JIT warm-up, page faults) settle first.
        await vm.Agent.PingAsync(CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var samples = new List<double>();
        for (var i = 0; i < windows; i++)
        {
            samples.Add(await WorkerCpu.PercentOfCoreAsync(vm.WorkerProcessId, window));
        }

        Console.WriteLine(Stats.Describe($"{what}: worker CPU per {window.TotalSeconds:0} s window", samples, "% of a core"));
        var pings = new List<double>();
        for (var i = 0; i < 10; i++)
        {
            // Idle between calls, so each call wakes a coalescing guest.
            await Task.Delay(300);
            var clock = Stopwatch.StartNew();
            await vm.Agent.ExecAsync(ExecRequest.ForArgv("/bin/true"), CancellationToken.None);
            pings.Add(clock.Elapsed.TotalMilliseconds);
        }

        Console.WriteLine(Stats.Describe($"{what}: exec /bin/true after 300 ms idle", pings, "ms") + $", p95 {Percentile(pings, 95):0.0} ms");
    }

    private static async Task FairnessAsync(StoredImage image)
    {
        const int busyCount = 4;
        var busy = new List<Machine>();
        var loops = new List<Task>();
        try
        {
            for (var i = 0; i < busyCount; i++)
            {
                var vm = await Machine.StartAsync(image, new MachineOptions(), CancellationToken.None);
                busy.Add(vm);
                loops.Add(vm.Agent.ExecAsync(new ExecRequest { Shell = "while :; do :; done", Timeout = TimeSpan.FromMinutes(5) }, CancellationToken.None));
            }

            await using var idle = await Machine.StartAsync(image, new MachineOptions(), CancellationToken.None);
            await Task.Delay(TimeSpan.FromSeconds(5));
            var busyCpu = await Task.WhenAll(busy.Select(vm => WorkerCpu.PercentOfCoreAsync(vm.WorkerProcessId, TimeSpan.FromSeconds(5))));
            Console.WriteLine($"{busyCount} VMs in a CPU loop: worker CPU {string.Join(", ", busyCpu.Select(c => c.ToString("0", System.Globalization.CultureInfo.InvariantCulture)))} % of a core");
            var trips = new List<double>();
            for (var i = 0; i < 30; i++)
            {
                await Task.Delay(500);
                var clock = Stopwatch.StartNew();
                await idle.Agent.ExecAsync(ExecRequest.ForArgv("/bin/true"), CancellationToken.None);
                trips.Add(clock.Elapsed.TotalMilliseconds);
            }

            Console.WriteLine(Stats.Describe($"idle fifth VM beside {busyCount} busy ones: exec /bin/true round trip", trips, "ms") + $", p95 {Percentile(trips, 95):0.0} ms");
        }
        finally
        {
            foreach (var vm in busy)
            {
                await vm.DisposeAsync();
            }

            await Task.WhenAll(loops.Select(l => l.ContinueWith(_ => { }, TaskScheduler.Default)));
        }
    }

    private static double Percentile(IReadOnlyList<double> values, int percent)
    {
        var sorted = values.Order().ToList();
        var rank = (int)Math.Ceiling(percent / 100.0 * sorted.Count) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
