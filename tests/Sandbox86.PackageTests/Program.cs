using Sandbox86.Guest;
using Sandbox86.Images.Store;
using Sandbox86.Machines;
using Sandbox86.Runtime;

// Starts a machine from an image in the store (default: "default") and runs one command in it: the
// README's "Use from C#" example. Prints where the run-time files came from on stderr, the command's
// output on stdout, and exits with the command's exit code.
// sandbox86 is a Linux library (v86 workers, debootstrap, flock): the guard satisfies the platform analyzer.
if (!OperatingSystem.IsLinux())
{
    Console.Error.WriteLine("sandbox86 runs on Linux only");
    return 125;
}

using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(5));
var assets = RuntimeAssets.Default;
Console.Error.WriteLine($"runtime assets: {assets.Origin}");
await HostPrerequisites.EnsureAsync(HostFeatures.Machines, assets, logger: null, cancel.Token);

var image = ImageStore.Default.Open(args.Length > 0 ? args[0] : "default");
await using var machine = await Machine.StartAsync(image, new MachineOptions(), cancel.Token);
var result = await machine.Agent.ExecAsync(ExecRequest.ForArgv("sh", "-c", "echo \"hello from $(uname -m)\""), cancel.Token);
Console.Write(result.StdoutText);
Console.Error.Write(result.StderrText);
return result.ExitCode;
