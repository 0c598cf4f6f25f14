using System.CommandLine;
using Sandbox86.Cli.Commands.Boot;
using Sandbox86.Cli.Commands.Images;
using Sandbox86.Cli.Commands.Network;
using Sandbox86.Cli.Commands.Run;

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
        // RootCommand names itself after the entry assembly (Sandbox86.Cli); users type `sandbox86`, so
        // the root is a plain command of that name with the help and version options RootCommand would add.
        var root = new Command("sandbox86", "sandbox86: run untrusted code in a real Linux VM on v86") { image, new System.CommandLine.Help.HelpOption(), new VersionOption() };
        foreach (var extra in ExtraCommands())
        {
            root.Subcommands.Add(extra);
        }

        return await root.Parse(args).InvokeAsync();
    }

    private static IEnumerable<Command> ExtraCommands()
    {
        yield return RunCommand.Create();
        yield return BootCommand.Create();
        yield return RelayCommand.Create();
    }
}
