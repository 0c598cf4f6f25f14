using System.CommandLine;
using Sandbox86.Cli.Commands.Boot;
using Sandbox86.Cli.Commands.Images;
using Sandbox86.Cli.Commands.Network;
using Sandbox86.Cli.Commands.Run;
using Sandbox86.Cli.Commands.Sandboxes;
using Sandbox86.Cli.Output;
using Sandbox86.Cli.Commands.Serve;
using Sandbox86.Cli.Commands.Web;

namespace Sandbox86.Cli;

/// <summary>Builds the command tree and runs it; every error ends as one line and exit 125.</summary>
internal static class CliApp
{
    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            var parse = Create().Parse(ExecCommandLine.Normalize(args));
            CliError.Debug = parse.GetValue(CliError.DebugOption) || Environment.GetEnvironmentVariable("SANDBOX86_DEBUG") is "1" or "true";
            if (parse.Errors.Count > 0)
            {
                return CliError.Report(new UsageException(parse.Errors[0].Message));
            }

            if (CliError.UnknownOptionBeforeArguments(parse) is { } option)
            {
                var hint = parse.CommandResult.Command.Name is "run" ? " (the command to run goes after --)" : "";
                return CliError.Report(new UsageException($"unknown option '{option}'{hint}"));
            }

            // Our own handler, not System.CommandLine's: it prints a stack trace and exits 1.
            // serve pauses every sandbox on SIGINT/SIGTERM and boot --save saves a boot snapshot, which
            // takes longer than System.CommandLine's default grace before it ends the process with 130;
            // both take the signals themselves and bound that time.
            var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
            if (parse.CommandResult.Command.Name is "serve" or "boot")
            {
                invocation.ProcessTerminationTimeout = null;
            }

            return await parse.InvokeAsync(invocation);
        }
        catch (Exception e)
        {
            return CliError.Report(e);
        }
    }

    private static Command Create()
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
        root.Options.Add(CliError.DebugOption);
        foreach (var extra in ExtraCommands())
        {
            root.Subcommands.Add(extra);
        }

        return root;
    }

    private static IEnumerable<Command> ExtraCommands()
    {
        yield return RunCommand.Create();
        yield return BootCommand.Create();
        yield return RelayCommand.Create();
        yield return ServeCommand.Create();
        yield return PrepareCommand.Create();
        yield return WebCommand.Create();
        foreach (var verb in SandboxCommands.CreateAll())
        {
            yield return verb;
        }
    }
}
