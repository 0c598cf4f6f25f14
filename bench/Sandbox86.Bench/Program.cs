using Sandbox86.Bench;
using Sandbox86.Bench.Guest;
using Sandbox86.Bench.Machines;
using Sandbox86.Bench.Mounts;
using Sandbox86.Bench.Network;

// Benchmarks, not tests: they measure and print medians. Usage:
//   dotnet run -c Release --project bench/Sandbox86.Bench -- machines [--runs N]
//   dotnet run -c Release --project bench/Sandbox86.Bench -- guest-network [--runs N]
//   dotnet run -c Release --project bench/Sandbox86.Bench -- relay-throughput
//   dotnet run -c Release --project bench/Sandbox86.Bench -- agent-host [--runs N]
//   dotnet run -c Release --project bench/Sandbox86.Bench -- mounts [--runs N]
var suite = args.Length > 0 ? args[0] : "help";
var runs = BenchArgs.Int(args, "--runs", 20);
switch (suite)
{
    case "machines":
        await MachineBench.RunAsync(runs);
        return 0;
    case "guest-network":
        await GuestNetworkBench.RunAsync(BenchArgs.Int(args, "--runs", 3));
        return 0;
    case "relay-throughput":
        return await RelayThroughput.RunAsync();
    case "agent-host":
        return await AgentHostBench.RunAsync(runs);
    case "mounts":
        return await MountBench.RunAsync(BenchArgs.Int(args, "--runs", 3));
    default:
        Console.WriteLine("suites: machines [--runs N] | guest-network [--runs N] | relay-throughput | agent-host [--runs N] | mounts [--runs N]");
        return suite == "help" ? 0 : 2;
}
