using System.CommandLine;
using Sandbox86.Cli.Commands.Boot;
using Sandbox86.Cli.Commands.Images;
using Sandbox86.Cli.Commands.Network;
using Sandbox86.Cli.Commands.Run;
using Sandbox86.Cli.Commands.Serve;

namespace Sandbox86.Cli;

/// <summary>Builds the command tree and runs it.</summary>
internal static class CliApp
{
    public static async Task<int> RunAsync(string[] args)
    {
        var image = new Command("image", "Build and manage images")
        {
            ImageBuildCommand.Create(),
            ImageListCommands.CreateList(),
            ImageListCommands.CreateInspect(),
            ImageListCommands.CreateRemove(),
        };
        var root = new RootCommand("sandbox86: run untrusted code in a real Linux VM on v86") { image };
        foreach (var extra in ExtraCommands())
        {
            root.Subcommands.Add(extra);
        }

        // serve pauses every sandbox on SIGINT/SIGTERM, which takes longer than System.CommandLine's
        // default grace before it ends the process; serve bounds that time itself.
        var invocation = new InvocationConfiguration();
        if (args.Length > 0 && args[0] == "serve")
        {
            invocation.ProcessTerminationTimeout = null;
        }

        return await root.Parse(args).InvokeAsync(invocation);
    }

    private static IEnumerable<Command> ExtraCommands()
    {
        yield return RunCommand.Create();
        yield return BootCommand.Create();
        yield return RelayCommand.Create();
        yield return ServeCommand.Create();
    }
}
