using System.Diagnostics;
using Sandbox86.Guest;
using Sandbox86.Images.Store;
using Sandbox86.Machines;

namespace Sandbox86.Bench.Machines;

/// <summary>
/// Cold boot to agent ready for one or more images, interleaved round by round so an A/B of two kernel
/// command lines (or initramfs builds) sees the same machine load. Also splits each boot at the guest's
/// own clock (<c>/proc/uptime</c> at ready: kernel start to agent) and, with <c>--snapshot</c>, saves a
/// prepared boot-snapshot-style state to a temporary directory to report its size.
/// </summary>
internal static class ColdBootBench
{
    public static async Task<int> RunAsync(IReadOnlyList<string> images, int runs, bool snapshot)
    {
        Console.WriteLine($"machine: {Stats.Machine()}");
        var boots = images.ToDictionary(i => i, _ => new List<double>());
        var guest = images.ToDictionary(i => i, _ => new List<double>());
        var states = images.ToDictionary(i => i, _ => new List<double>());
        for (var round = 0; round < runs; round++)
        {
            foreach (var name in images)
            {
                var image = ImageStore.Default.Open(name);
                var load = Stats.LoadAverage();
                var clock = Stopwatch.StartNew();
                // The default 120 s is too short for a cold boot while other helpers load the 2 cores.
                await using var vm = await Machine.StartAsync(image, new MachineOptions { Cold = true, BootTimeout = TimeSpan.FromMinutes(10) }, CancellationToken.None);
                var seconds = clock.Elapsed.TotalSeconds;
                var uptime = await vm.Agent.ExecAsync(ExecRequest.ForArgv("cat", "/proc/uptime"), CancellationToken.None);
                var kernel = double.Parse(uptime.StdoutText.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
                boots[name].Add(seconds);
                guest[name].Add(kernel);
                var line = $"{name}: cold boot to agent ready {seconds:0.00} s (guest uptime at ready {kernel:0.00} s), load {load}";
                if (snapshot)
                {
                    var dir = Path.Combine(Path.GetTempPath(), $"sbx86-coldboot-{Guid.NewGuid():N}");
                    try
                    {
                        var info = await Snapshots.SaveAsync(vm, dir, prepare: true, Snapshots.CompressionLevel, CancellationToken.None);
                        states[name].Add(info.CompressedBytes / 1048576.0);
                        line += $"; prepared state {info.CompressedBytes / 1048576.0:0.0} MiB zstd ({info.RawBytes / 1048576.0:0.0} MiB raw)";
                    }
                    finally
                    {
                        ImageStore.TryDeleteDirectory(dir);
                    }
                }

                Console.WriteLine(line);
            }
        }

        foreach (var name in images)
        {
            Console.WriteLine(Stats.Describe($"{name}: cold boot to agent ready", boots[name], "s"));
            Console.WriteLine(Stats.Describe($"{name}: guest uptime at agent ready", guest[name], "s"));
            if (snapshot)
            {
                Console.WriteLine(Stats.Describe($"{name}: prepared boot state, zstd", states[name], "MiB"));
            }
        }

        Console.WriteLine($"load average at the end: {Stats.LoadAverage()}");
        return 0;
    }
}
