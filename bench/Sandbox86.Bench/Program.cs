using Sandbox86.Bench;
using Sandbox86.Bench.Machines;

// Benchmarks, not tests: they measure and print medians. Usage:
//   dotnet run -c Release --project bench/Sandbox86.Bench -- machines [--runs N]
var suite = args.Length > 0 ? args[0] : "help";
var runs = BenchArgs.Int(args, "--runs", 20);
switch (suite)
{
    case "machines":
        await MachineBench.RunAsync(runs);
        return 0;
    default:
        Console.WriteLine("suites: machines [--runs N]");
        return suite == "help" ? 0 : 2;
}
