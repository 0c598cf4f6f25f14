using System.Diagnostics;
using Sandbox86.Guest;
using Sandbox86.Images.Store;
using Sandbox86.Machines;

namespace Sandbox86.Bench.Idle;

/// <summary>
/// Idle auto-suspend (issue 9, item 3's fallback): the worker CPU of a machine suspended for being idle,
/// and the round trip of an exec that has to wake it (resume, clock resync, exec) beside the same exec on
/// the awake machine, back to back in one window.
/// </summary>
internal static class IdleSuspendBench
{
    private static readonly TimeSpan IdlePeriod = TimeSpan.FromSeconds(2);

    public static async Task RunAsync(StoredImage image, int runs)
    {
        await using var vm = await Machine.StartAsync(image, new MachineOptions { IdleSuspendAfter = IdlePeriod }, CancellationToken.None);
        await vm.Agent.PingAsync(CancellationToken.None);
        var cpu = new List<double>();
        var woken = new List<double>();
        var awake = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            await WaitSuspendedAsync(vm);
            if (i < 3)
            {
                cpu.Add(await WorkerCpu.PercentOfCoreAsync(vm.WorkerProcessId, TimeSpan.FromSeconds(5)));
            }

            woken.Add(await ExecAsync(vm));
            // Same exec, machine awake (it went idle for < the idle period only).
            await Task.Delay(300);
            awake.Add(await ExecAsync(vm));
        }

        Console.WriteLine(Stats.Describe("idle-suspended VM: worker CPU per 5 s window", cpu, "% of a core") + $"; load {Stats.LoadAverage()}");
        Console.WriteLine(Stats.DescribeP95("idle-suspended VM -> exec /bin/true round trip (wake included)", woken, "ms") + $"; load {Stats.LoadAverage()}");
        Console.WriteLine(Stats.DescribeP95("same VM awake, after 300 ms idle -> exec /bin/true", awake, "ms") + $"; load {Stats.LoadAverage()}");
    }

    private static async Task<double> ExecAsync(Machine vm)
    {
        var clock = Stopwatch.StartNew();
        await vm.Agent.ExecAsync(ExecRequest.ForArgv("/bin/true"), CancellationToken.None);
        return clock.Elapsed.TotalMilliseconds;
    }

    private static async Task WaitSuspendedAsync(Machine vm)
    {
        var clock = Stopwatch.StartNew();
        while (!vm.IsIdleSuspended)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new TimeoutException("the machine did not idle-suspend within 2 min");
            }

            await Task.Delay(50);
        }
    }
}
