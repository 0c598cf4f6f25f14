using System.Diagnostics;
using Sandbox86.Guest;
using Sandbox86.Images.Store;
using Sandbox86.Machines;
using Sandbox86.Mounts;

namespace Sandbox86.Bench.Mounts;

/// <summary>
/// Throughput of a live mount (9P over hvc2, cache=none) on the default image: sequential read and
/// write of a 10 MB file, cat of 500 small files, stat of 500 files. Each figure is host wall time of
/// one exec minus the median of an exec of <c>true</c>.
/// </summary>
internal static class MountBench
{
    public static async Task<int> RunAsync(int runs)
    {
        Console.WriteLine($"machine: {Stats.Machine()}");
        var dir = Directory.CreateTempSubdirectory("sandbox86-mount-bench-");
        try
        {
            var data = new byte[10 * 1024 * 1024];
            Random.Shared.NextBytes(data);
            await File.WriteAllBytesAsync(Path.Combine(dir.FullName, "big.bin"), data);
            Directory.CreateDirectory(Path.Combine(dir.FullName, "small"));
            for (var i = 0; i < 500; i++)
            {
                await File.WriteAllTextAsync(Path.Combine(dir.FullName, "small", $"f{i}"), "small file\n");
            }

            var clock = Stopwatch.StartNew();
            await using var vm = await Machine.StartAsync(ImageStore.Default.Open("default"), new MachineOptions
            {
                Mounts = [new MountSpec { HostPath = dir.FullName, GuestPath = "/bench" }],
            }, CancellationToken.None);
            Console.WriteLine($"start with one mount: {clock.Elapsed.TotalSeconds:0.00} s");

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
            for (var i = 0; i < runs; i++)
            {
                read.Add(10 / ((await TimeAsync(vm, "cat /bench/big.bin > /dev/null") - b) / 1000));
                write.Add(10 / ((await TimeAsync(vm, "dd if=/dev/zero of=/bench/out.bin bs=128k count=80 2>/dev/null") - b) / 1000));
                cat.Add(await TimeAsync(vm, "cat /bench/small/* > /dev/null") - b);
                stat.Add(await TimeAsync(vm, "ls -l /bench/small > /dev/null") - b);
            }

            Console.WriteLine(Stats.Describe("sequential read 10 MiB", read, "MiB/s"));
            Console.WriteLine(Stats.Describe("sequential write 10 MiB", write, "MiB/s"));
            Console.WriteLine(Stats.Describe("cat 500 small files", cat, "ms"));
            Console.WriteLine(Stats.Describe("ls -l (stat) 500 files", stat, "ms"));
            return 0;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task<double> TimeAsync(Machine vm, string script)
    {
        var clock = Stopwatch.StartNew();
        var r = await vm.Agent.ExecAsync(ExecRequest.ForArgv("sh", "-c", script));
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script}: exit {r.ExitCode}: {r.StderrText}");
        }

        return clock.Elapsed.TotalMilliseconds;
    }
}
