using System.Diagnostics;
using Sandbox86.Guest;
using Sandbox86.Images.Store;
using Sandbox86.Machines;
using Sandbox86.Util;

namespace Sandbox86.Bench.Machines;

/// <summary>
/// Start latency and exec cost on the default image: run-to-first-byte through the real CLI with a
/// snapshot, exec round trip of <c>true</c>, cold boot to agent ready, snapshot size and worker RSS.
/// </summary>
internal static class MachineBench
{
    public static async Task RunAsync(int runs)
    {
        var image = ImageStore.Default.Open("default");
        Console.WriteLine($"machine: {Stats.Machine()}");

        // Make sure the boot snapshot exists so the first timed run is not a cold boot.
        await using (var warm = await Machine.StartAsync(image, new MachineOptions(), CancellationToken.None))
        {
        }

        var firstByte = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            firstByte.Add(await CliFirstByteMsAsync(["run", "--", "echo", "hi"]));
        }

        Console.WriteLine(Stats.Describe("run -- echo hi: CLI start to first stdout byte (snapshot)", firstByte, "ms"));

        await using (var vm = await Machine.StartAsync(image, new MachineOptions(), CancellationToken.None))
        {
            var roundTrips = new List<double>();
            for (var i = 0; i < Math.Max(runs, 50); i++)
            {
                var clock = Stopwatch.StartNew();
                await vm.Agent.ExecAsync(ExecRequest.ForArgv("/bin/true"), CancellationToken.None);
                roundTrips.Add(clock.Elapsed.TotalMilliseconds);
            }

            Console.WriteLine(Stats.Describe("exec round trip of /bin/true in a running VM", roundTrips, "ms"));
            var pings = new List<double>();
            for (var i = 0; i < 100; i++)
            {
                pings.Add((await vm.Agent.PingAsync(CancellationToken.None)).TotalMilliseconds);
            }

            Console.WriteLine(Stats.Describe("agent ping round trip (host -> virtio-console -> agent -> host)", pings, "ms"));
            var rss = await vm.GetWorkerRssAsync(CancellationToken.None);
            Console.WriteLine($"worker RSS, {vm.MemoryMb} MB guest, restored: {rss / 1048576.0:0} MiB");
        }

        var cold = new List<double>();
        for (var i = 0; i < Math.Min(3, runs); i++)
        {
            var clock = Stopwatch.StartNew();
            await using var vm = await Machine.StartAsync(image, new MachineOptions { Cold = true }, CancellationToken.None);
            cold.Add(clock.Elapsed.TotalSeconds);
            if (i == 0)
            {
                var rss = await vm.GetWorkerRssAsync(CancellationToken.None);
                Console.WriteLine($"worker RSS, {vm.MemoryMb} MB guest, cold booted: {rss / 1048576.0:0} MiB");
            }
        }

        Console.WriteLine(Stats.Describe("cold boot to agent ready", cold, "s"));
        var snapshot = image.BootSnapshotPath(image.Manifest.MemoryMb);
        var info = new FileInfo(snapshot);
        Console.WriteLine($"boot snapshot: {info.Length / 1048576.0:0.0} MiB zstd ({snapshot})");
    }

    private static async Task<double> CliFirstByteMsAsync(string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(SandboxPaths.RepoRoot, "src", "Sandbox86.Cli", "bin", "Release", "net10.0", "Sandbox86.Cli.dll"));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var buffer = new char[1];
        var n = await process.StandardOutput.ReadAsync(buffer.AsMemory());
        var elapsed = clock.Elapsed.TotalMilliseconds;
        await process.WaitForExitAsync();
        if (n == 0 || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"run failed: {await stderr}");
        }

        return elapsed;
    }
}
