using System.Diagnostics;
using Sandbox86.Guest;
using Sandbox86.Images.Store;
using Sandbox86.Machines;

namespace Sandbox86.Bench.Machines;

/// <summary>
/// Pause and resume of a 256 MB guest through the library, the path <c>serve</c>'s pause takes: save the
/// running machine's state (<see cref="Machine.SaveStateAsync"/>), end it, then restore that state to a
/// ready agent and a first command. The guest first writes <c>--dirty-mb</c> MB of random data to /tmp
/// and reads /usr/bin and python's library, so its page cache holds what a used sandbox holds.
/// </summary>
internal static class PauseBench
{
    public static async Task RunAsync(int runs, int dirtyMb)
    {
        var image = ImageStore.Default.Open("default");
        Console.WriteLine($"machine: {Stats.Machine()}; load average {Stats.LoadAverage()}");
        var saves = new List<double>();
        var resumes = new List<double>();
        var sizes = new List<double>();
        var root = Path.Combine(Path.GetTempPath(), $"sandbox86-pausebench-{Environment.ProcessId}");
        try
        {
            for (var i = 0; i < runs; i++)
            {
                var dir = Path.Combine(root, $"s{i}");
                await using (var vm = await Machine.StartAsync(image, new MachineOptions { MemoryMb = 256 }, CancellationToken.None))
                {
                    if (dirtyMb > 0)
                    {
                        await vm.Agent.ExecAsync(new ExecRequest { Shell = $"head -c {dirtyMb}M /dev/urandom > /tmp/dirty; cat /usr/bin/* /usr/lib/python3*/*.py > /dev/null 2>&1; true", Timeout = TimeSpan.FromMinutes(2) }, CancellationToken.None);
                    }

                    var clock = Stopwatch.StartNew();
                    var info = await vm.SaveStateAsync(dir, CancellationToken.None);
                    saves.Add(clock.Elapsed.TotalMilliseconds);
                    sizes.Add(info.CompressedBytes / 1048576.0);
                }

                var resume = Stopwatch.StartNew();
                await using (var vm = await Machine.StartAsync(image, new MachineOptions { MemoryMb = 256, StatePath = dir }, CancellationToken.None))
                {
                    var result = await vm.Agent.ExecAsync(new ExecRequest { Shell = "test -s /tmp/dirty || test " + dirtyMb + " = 0", Timeout = TimeSpan.FromSeconds(30) }, CancellationToken.None);
                    resumes.Add(resume.Elapsed.TotalMilliseconds);
                    if (result.ExitCode != 0)
                    {
                        throw new InvalidOperationException("the resumed guest lost /tmp/dirty");
                    }
                }

                Directory.Delete(dir, recursive: true);
            }
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }

        Console.WriteLine(Stats.Describe($"pause (save state, 256 MB guest, {dirtyMb} MB dirtied)", saves, "ms"));
        Console.WriteLine(Stats.Describe("resume (restore to the first command's exit)", resumes, "ms"));
        Console.WriteLine(Stats.Describe("paused state on disk", sizes, "MiB"));
    }
}
