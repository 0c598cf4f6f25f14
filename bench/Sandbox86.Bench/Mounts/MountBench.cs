using System.Diagnostics;
using System.Globalization;
using Sandbox86.Bench.Idle;
using Sandbox86.Guest;
using Sandbox86.Images.Store;
using Sandbox86.Machines;
using Sandbox86.Mounts;

namespace Sandbox86.Bench.Mounts;

/// <summary>
/// A live mount (9P over hvc2, cache=none) on the default image, issue 11's targets: sequential read and
/// write of a <c>--mb</c> file (50), cat of <c>--small</c> small files (2,500), stat of <c>--stats</c> files
/// (5,000), and the mount's idle cost (the worker's CPU over <c>--idle-seconds</c> of a machine without and one
/// with the mount, one after the other). Each timing is host wall time of one exec minus the median exec of <c>true</c>.
/// </summary>
internal static class MountBench
{
    public static async Task<int> RunAsync(int runs, int mb, int small, int stats, int idleSeconds)
    {
        Console.WriteLine($"machine: {Stats.Machine()}; load before: {Load()}");
        var dir = Directory.CreateTempSubdirectory("sandbox86-mount-bench-");
        try
        {
            var data = new byte[mb * 1024 * 1024];
            Random.Shared.NextBytes(data);
            await File.WriteAllBytesAsync(Path.Combine(dir.FullName, "big.bin"), data);
            Fill(Path.Combine(dir.FullName, "small"), small);
            Fill(Path.Combine(dir.FullName, "many"), stats);

            var image = ImageStore.Default.Open("default");
            var idle = TimeSpan.FromSeconds(idleSeconds);
            double before;
            await using (var plain = await Machine.StartAsync(image, new MachineOptions(), CancellationToken.None))
            {
                before = await WorkerCpu.PercentOfCoreAsync(plain.WorkerProcessId, idle);
            }

            var clock = Stopwatch.StartNew();
            await using var vm = await Machine.StartAsync(image, new MachineOptions { Mounts = [new MountSpec { HostPath = dir.FullName, GuestPath = "/bench" }] }, CancellationToken.None);
            Console.WriteLine($"start (restore) with one mount: {clock.Elapsed.TotalSeconds:0.00} s");
            var after = await WorkerCpu.PercentOfCoreAsync(vm.WorkerProcessId, idle);
            Console.WriteLine($"idle worker CPU over {idleSeconds} s: {before:0.0}% of a core without the mount, {after:0.0}% with it");

            var baseline = new List<double>();
            for (var i = 0; i < 5; i++)
            {
                baseline.Add(await TimeAsync(vm, "true"));
            }

            var b = Stats.Median(baseline);
            var read = new List<double>();
            var write = new List<double>();
            var cat = new List<double>();
            var stat = new List<double>();
            var blocks = (mb * 1024 / 128).ToString(CultureInfo.InvariantCulture);
            for (var i = 0; i < runs; i++)
            {
                read.Add(mb / ((await TimeAsync(vm, "cat /bench/big.bin > /dev/null") - b) / 1000));
                write.Add(mb / ((await TimeAsync(vm, $"dd if=/dev/zero of=/bench/out.bin bs=128k count={blocks} 2>/dev/null") - b) / 1000));
                cat.Add(await TimeAsync(vm, "cat /bench/small/* > /dev/null") - b);
                stat.Add(await TimeAsync(vm, "ls -l /bench/many > /dev/null") - b);
            }

            Console.WriteLine(Stats.DescribeP95($"sequential read {mb} MiB", read, "MiB/s"));
            Console.WriteLine(Stats.DescribeP95($"sequential write {mb} MiB", write, "MiB/s"));
            Console.WriteLine(Stats.DescribeP95($"cat {small} small files", cat, "ms"));
            Console.WriteLine(Stats.DescribeP95($"ls -l (stat) {stats} files", stat, "ms"));
            Console.WriteLine($"msize {GuestMounts.Limits.MaxMessageSize}; load after: {Load()}");
            return 0;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static void Fill(string directory, int count)
    {
        Directory.CreateDirectory(directory);
        for (var i = 0; i < count; i++)
        {
            File.WriteAllText(Path.Combine(directory, $"f{i}"), "small file\n");
        }
    }

    private static string Load() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    private static async Task<double> TimeAsync(Machine vm, string script)
    {
        var clock = Stopwatch.StartNew();
        var r = await vm.Agent.ExecAsync(new ExecRequest { Argv = ["sh", "-c", script], Timeout = TimeSpan.FromMinutes(30) });
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script}: exit {r.ExitCode}: {r.StderrText}");
        }

        return clock.Elapsed.TotalMilliseconds;
    }
}
