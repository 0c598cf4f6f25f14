using System.Diagnostics;
using Sandbox86.Guest;
using Sandbox86.Tests.Guest;

namespace Sandbox86.Bench.Guest;

/// <summary>
/// The agent on this host over pipes (no VM): exec round trip of <c>true</c>, ping, and how fast a
/// dead transport fails pending calls. These were timing assertions in the unit suite; on two shared
/// cores they measure the neighbours, so they are measured here and the unit tests assert behaviour.
/// </summary>
internal static class AgentHostBench
{
    public static async Task<int> RunAsync(int runs)
    {
        var root = AgentBinary.FindRepoRoot();
        if (root is null)
        {
            Console.Error.WriteLine("agent/build.sh not found above the bench directory");
            return 1;
        }

        var agent = await AgentBinary.EnsureBuiltAsync(root);
        Console.WriteLine($"machine: {Stats.Machine()}");
        var (process, client) = await StartAsync(agent);
        await using (client)
        {
            var exec = new List<double>();
            var ping = new List<double>();
            for (var i = 0; i < Math.Max(runs, 50) + 10; i++)
            {
                var clock = Stopwatch.StartNew();
                await client.ExecAsync(ExecRequest.ForArgv("true"), CancellationToken.None);
                var execMs = clock.Elapsed.TotalMilliseconds;
                var rtt = await client.PingAsync(CancellationToken.None);
                // The first ten warm up the JIT.
                if (i >= 10)
                {
                    exec.Add(execMs);
                    ping.Add(rtt.TotalMilliseconds);
                }
            }

            Console.WriteLine(Stats.Describe("exec of true over pipes (fork+exec, two pipe hops)", exec, "ms"));
            Console.WriteLine(Stats.Describe("ping over pipes", ping, "ms"));

            var pending = client.StartAsync(ExecRequest.ForArgv("sleep", "30"), CancellationToken.None);
            var sleeper = await pending;
            var wait = sleeper.WaitAsync(CancellationToken.None);
            var killed = Stopwatch.StartNew();
            process.Kill();
            try
            {
                await wait;
            }
            catch (AgentException)
            {
            }

            Console.WriteLine($"transport death to pending call failed: {killed.Elapsed.TotalMilliseconds:0.0} ms");
        }

        process.Dispose();
        return 0;
    }

    private static async Task<(Process Process, AgentClient Client)> StartAsync(string agent)
    {
        var psi = new ProcessStartInfo(agent)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("--stdio");
        psi.ArgumentList.Add("--no-system");
        var process = Process.Start(psi)!;
        var client = new AgentClient(new DuplexStream(process.StandardOutput.BaseStream, process.StandardInput.BaseStream));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.WaitReadyAsync(cts.Token);
        return (process, client);
    }
}
