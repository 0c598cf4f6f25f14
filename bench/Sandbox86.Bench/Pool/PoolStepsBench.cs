using System.Diagnostics;
using System.Text;
using Sandbox86.Guest;
using Sandbox86.Images.Store;
using Sandbox86.Machines;
using Sandbox86.Machines.Pool;

namespace Sandbox86.Bench.Pool;

/// <summary>
/// Where a pooled claim's time goes, in process through the library (no HTTP): take, resume (clock
/// reset and reseed queued), network attach, then the first commands a server's first envd call runs
/// (its user check, answered from what the pool learned for the build, then E2B's <c>bash -l -c 'echo hi'</c> as user in /home/user) to their first
/// stdout, then a second <c>echo hi</c>; <c>--no-warm</c> parks machines without <see cref="PoolWarmUp"/> (the A/B). Also the worker RSS of a pooled and of a claimed machine.
/// </summary>
internal static class PoolStepsBench
{
    public static async Task<int> RunAsync(int runs, bool warmUp)
    {
        Console.WriteLine($"machine: {Stats.Machine()}; warm-up before parking: {(warmUp ? "on" : "off")}; load average before: {Stats.LoadAverage()}");
        var image = ImageStore.Default.Open("default");
        var memory = Machine.ResolveMemory(image, new MachineOptions());
        await using var pool = new WarmPool(ImageStore.Default, new WarmPoolOptions { Size = 1, RefillDelay = TimeSpan.Zero, WarmUp = warmUp ? PoolWarmUp.E2BFirstCall : [], Machine = new MachineOptions { BootTimeout = TimeSpan.FromMinutes(10) } });
        pool.Keep(image.Name, memory);
        var steps = new Dictionary<string, List<double>>();
        var rssPooled = new List<double>();
        var rssClaimed = new List<double>();
        void Add(string step, double ms) => (steps.TryGetValue(step, out var l) ? l : steps[step] = []).Add(ms);

        for (var i = 0; i < runs; i++)
        {
            var until = DateTime.UtcNow.AddMinutes(12);
            while (pool.ReadyCount(image.Name, memory) < 1)
            {
                if (DateTime.UtcNow > until)
                {
                    throw new InvalidOperationException("the pool did not fill in 12 minutes");
                }

                await Task.Delay(50);
            }

            // Let the refill's worker settle (its V8 tiering burst) so each sample starts from a quiet pool.
            await Task.Delay(TimeSpan.FromSeconds(2));
            var total = Stopwatch.StartNew();
            var step = Stopwatch.StartNew();
            var machine = pool.TryTake(image, memory) ?? throw new InvalidOperationException("empty pool");
            await using var _ = machine;
            rssPooled.Add(await machine.GetWorkerRssAsync(CancellationToken.None) / 1048576.0);
            step.Restart();
            await pool.WakeAsync(machine, CancellationToken.None);
            Add("resume", step.Elapsed.TotalMilliseconds);
            step.Restart();
            await using var network = await MachineNetwork.AttachAsync(machine, new Sandbox86.Network.NetworkOptions(), CancellationToken.None);
            Add("network attach", step.Elapsed.TotalMilliseconds);
            step.Restart();
            var user = await machine.HasDefaultUserAsync(CancellationToken.None) ? Machine.DefaultUserName : "root";
            Add("default user (learned by the pool: no exec)", step.Elapsed.TotalMilliseconds);
            step.Restart();
            Add("bash -l -c 'echo hi' first stdout", await FirstStdoutAsync(machine, ["/bin/bash", "-l", "-c", "echo hi"], user));
            Add("total: take -> first stdout", total.Elapsed.TotalMilliseconds);
            Add("second bash -l -c 'echo hi' first stdout", await FirstStdoutAsync(machine, ["/bin/bash", "-l", "-c", "echo hi"], user));
            Add("sh -c 'echo hi' first stdout", await FirstStdoutAsync(machine, ["/bin/sh", "-c", "echo hi"], user));
            rssClaimed.Add(await machine.GetWorkerRssAsync(CancellationToken.None) / 1048576.0);
        }

        foreach (var (name, values) in steps)
        {
            Console.WriteLine(Stats.DescribeP95(name, values, "ms"));
        }

        Console.WriteLine(Stats.Describe("worker RSS, pooled (suspended)", rssPooled, "MiB"));
        Console.WriteLine(Stats.Describe("worker RSS, claimed after three commands", rssClaimed, "MiB"));
        Console.WriteLine($"load average after: {Stats.LoadAverage()}");
        return 0;
    }

    private static async Task<double> FirstStdoutAsync(Machine machine, string[] argv, string user)
    {
        var home = user == "root" ? "/root" : "/home/" + user;
        var clock = Stopwatch.StartNew();
        var process = await machine.Agent.StartAsync(new ExecRequest
        {
            Argv = argv,
            User = user,
            WorkingDirectory = home,
            Env = new Dictionary<string, string> { ["HOME"] = home, ["USER"] = user },
            OutputCap = 0,
        });
        double first = -1;
        var stdout = new StringBuilder();
        await foreach (var chunk in process.ReadOutputAsync())
        {
            if (chunk.Kind == ExecOutputKind.Stdout && first < 0)
            {
                first = clock.Elapsed.TotalMilliseconds;
            }

            if (chunk.Kind == ExecOutputKind.Stdout)
            {
                stdout.Append(Encoding.UTF8.GetString(chunk.Data.Span));
            }
        }

        await process.WaitAsync();
        return stdout.ToString() == "hi\n" ? first : throw new InvalidOperationException($"{string.Join(' ', argv)} printed '{stdout}'");
    }
}
