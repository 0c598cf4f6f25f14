using Sandbox86.Bench;
using Sandbox86.Bench.Files;
using Sandbox86.Bench.Guest;
using Sandbox86.Bench.Idle;
using Sandbox86.Bench.Machines;
using Sandbox86.Bench.Mounts;
using Sandbox86.Bench.Network;
using Sandbox86.Bench.Pool;
using Sandbox86.Bench.Serve;
using Sandbox86.Bench.Web;

// Benchmarks, not tests: they measure and print medians. Usage:
//   dotnet run -c Release --project bench/Sandbox86.Bench -- machines [--runs N]
//   dotnet run -c Release --project bench/Sandbox86.Bench -- guest-network [--runs N]
//   dotnet run -c Release --project bench/Sandbox86.Bench -- relay-throughput
//   dotnet run -c Release --project bench/Sandbox86.Bench -- agent-host [--runs N]
//   dotnet run -c Release --project bench/Sandbox86.Bench -- idle [--windows N] [--seconds S] [--suspend-only]
//   dotnet run -c Release --project bench/Sandbox86.Bench -- pool [--runs N] [--pool N] [--fork N]   (needs the CLI built)
//   dotnet run -c Release --project bench/Sandbox86.Bench -- files [--runs N] [--no-server|--server-only]
//   dotnet run -c Release --project bench/Sandbox86.Bench -- pause [--runs N] [--dirty-mb MB]
//   dotnet run -c Release --project bench/Sandbox86.Bench -- serve [--runs N] [--round-trips N]   (needs the CLI built)
//   dotnet run -c Release --project bench/Sandbox86.Bench -- mounts [--runs N] [--mb 50] [--small 2500] [--stats 5000] [--idle-seconds 10]
//   dotnet run -c Release --project bench/Sandbox86.Bench -- cold-boot [--images A,B] [--runs N] [--snapshot]
//   dotnet run -c Release --project bench/Sandbox86.Bench -- web [--runs N]   (headless /usr/bin/chromium)
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
    case "idle":
        await IdleBench.RunAsync(BenchArgs.Int(args, "--windows", 3), BenchArgs.Int(args, "--seconds", 20), args.Contains("--suspend-only"));
        return 0;
    case "pool":
        return args.Contains("--steps") ? await PoolStepsBench.RunAsync(runs, !args.Contains("--no-warm")) : await PoolBench.RunAsync(runs, BenchArgs.Int(args, "--pool", 2), BenchArgs.Int(args, "--fork", 8));
    case "files":
        return await FileTransferBench.RunAsync(BenchArgs.Int(args, "--runs", 5), args.Contains("--no-server"), args.Contains("--server-only"));
    case "pause":
        await PauseBench.RunAsync(BenchArgs.Int(args, "--runs", 5), BenchArgs.Int(args, "--dirty-mb", 8));
        return 0;
    case "serve":
        return await ServeBench.RunAsync(BenchArgs.Int(args, "--runs", 5), BenchArgs.Int(args, "--round-trips", 200));
    case "mounts":
        return await MountBench.RunAsync(BenchArgs.Int(args, "--runs", 3), BenchArgs.Int(args, "--mb", 50), BenchArgs.Int(args, "--small", 2500), BenchArgs.Int(args, "--stats", 5000), BenchArgs.Int(args, "--idle-seconds", 10));
    case "cold-boot":
        return await ColdBootBench.RunAsync(BenchArgs.Text(args, "--images", "default").Split(','), BenchArgs.Int(args, "--runs", 3), args.Contains("--snapshot"));
    case "web":
        return await WebBench.RunAsync(BenchArgs.Int(args, "--runs", 5));
    default:
        Console.WriteLine("suites: machines [--runs N] | guest-network [--runs N] | relay-throughput | agent-host [--runs N] | idle [--windows N] [--seconds S] | pool [--runs N] [--pool N] [--fork N] | files [--runs N] [--no-server|--server-only] | pause [--runs N] [--dirty-mb MB] | serve [--runs N] [--round-trips N] | mounts [--runs N] [--mb 50] [--small 2500] [--stats 5000] [--idle-seconds 10] | cold-boot [--images A,B] [--runs N] [--snapshot] | web [--runs N]");
        return suite == "help" ? 0 : 2;
}
