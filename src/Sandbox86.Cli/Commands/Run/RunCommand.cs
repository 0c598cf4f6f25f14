using System.CommandLine;
using Sandbox86.Cli.Output;
using Sandbox86.Guest;
using Sandbox86.Images.Store;
using Sandbox86.Machines;
using Sandbox86.Sandboxes;

namespace Sandbox86.Cli.Commands.Run;

/// <summary>
/// <c>sandbox86 run [options] -- CMD ARGS…</c>: a throwaway VM (restored from the boot snapshot), the
/// command's own stdout/stderr streamed to ours, and its exit code as ours. Tool errors exit 125.
/// </summary>
internal static class RunCommand
{
    private static readonly Option<string> ImageOption = SharedOptions.Image();
    private static readonly Option<double?> TimeoutOption = new("--timeout") { Description = "Kill the command after this many seconds (exit 124)" };
    private static readonly Option<string[]> EnvOption = new("--env", "-e") { Description = "Set an environment variable K=V (repeatable)", AllowMultipleArgumentsPerToken = false };
    private static readonly Option<string?> WorkdirOption = new("--workdir", "-w") { Description = "Working directory in the guest" };
    private static readonly Option<string?> UserOption = new("--user", "-u") { Description = "User name or uid[:gid] in the guest" };
    private static readonly Option<bool> InteractiveOption = new("--interactive", "-i") { Description = "Pipe our stdin to the command" };
    private static readonly Option<bool> TtyOption = new("--tty", "-t") { Description = "Give the command a terminal (e.g. -t -- sh)" };
    private static readonly Option<string[]> CopyInOption = new("--copy-in") { Description = "Copy HOST:GUEST into the VM before the command (repeatable)" };
    private static readonly Option<string[]> CopyOutOption = new("--copy-out") { Description = "Copy GUEST:HOST out of the VM after the command (repeatable)" };
    private static readonly Option<long?> OutputCapOption = new("--output-cap") { Description = "Truncate stdout+stderr beyond this many bytes" };
    private static readonly Option<string[]> VolumeOption = new("--volume", "-v") { Description = "Mount host directory HOST live at GUEST, HOST:GUEST[:ro] (repeatable)" };
    private static readonly Argument<string[]> CommandArgument = new("command") { Description = "Command and arguments (after --); default: the image's own Cmd (OCI images)", Arity = ArgumentArity.ZeroOrMore };

    public static Command Create()
    {
        var command = new Command("run", "Run a command in a throwaway VM, like 'docker run'")
        {
            ImageOption, TimeoutOption, EnvOption, WorkdirOption, UserOption,
            InteractiveOption, TtyOption, CopyInOption, CopyOutOption, OutputCapOption, VolumeOption, CommandArgument,
        };
        MachineFlags.AddTo(command);
        command.SetAction((parse, ct) => CliError.GuardAsync(() => RunAsync(parse, ct)));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var copyIn = (parse.GetValue(CopyInOption) ?? []).Select(v => CopySpec.Parse(v, "--copy-in").AsCopyIn()).ToList();
        var copyOut = (parse.GetValue(CopyOutOption) ?? []).Select(v => CopySpec.Parse(v, "--copy-out").AsCopyOut()).ToList();
        foreach (var copy in copyIn)
        {
            WithFlag("--copy-in", () => GuestFiles.ValidateCopyIn(copy));
        }

        var timeout = parse.GetValue(TimeoutOption);
        if (timeout is <= 0)
        {
            throw new UsageException("--timeout must be positive");
        }

        var tty = parse.GetValue(TtyOption);
        var interactive = parse.GetValue(InteractiveOption) || tty;
        var spec = new RunSpec
        {
            Command = parse.GetValue(CommandArgument) ?? [],
            Env = WithTerm(EnvFlags.Parse(parse.GetValue(EnvOption) ?? [])),
            WorkingDirectory = parse.GetValue(WorkdirOption),
            User = parse.GetValue(UserOption),
            Stdin = interactive,
            Timeout = timeout is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
            Pty = tty ? TerminalMode.CurrentSize() : null,
            OutputCap = parse.GetValue(OutputCapOption),
            CopyIn = copyIn,
            CopyOut = copyOut,
        };

        // All flags are checked before an image is opened (and possibly built on first use).
        var options = MachineFlags.ToOptions(parse) with
        {
            Mounts = (parse.GetValue(VolumeOption) ?? []).Select(ParseVolume).ToList(),
        };
        var network = NetworkFlags.Parse(parse);
        var image = await ImageResolver.OpenAsync(parse.GetValue(ImageOption)!, cancellationToken);
        var request = WithFlag("run", () => ContainerSemantics.ToExecRequest(image, spec));

        await using var machine = await Machine.StartAsync(image, options, cancellationToken);
        await using var attachedNetwork = await NetworkFlags.AttachAsync(network, machine, cancellationToken);
        foreach (var copy in spec.CopyIn)
        {
            await GuestFiles.CopyInAsync(machine.Agent, copy, cancellationToken);
        }

        var result = await ExecStreaming.RunAsync(machine.Agent, request, interactive, tty, cancellationToken);

        foreach (var copy in spec.CopyOut)
        {
            try
            {
                var report = await GuestFiles.CopyOutAsync(machine.Agent, copy, cancellationToken);
                if (report.Skipped > 0)
                {
                    Console.Error.WriteLine($"sandbox86: --copy-out {copy.GuestPath}: left out {report.Skipped} symlinks or special files");
                }
            }
            catch (Exception e) when (e is AgentException or SandboxRunException)
            {
                throw new UsageException($"--copy-out {copy.GuestPath}: {e.Message}");
            }
        }

        if (result.TimedOut)
        {
            Console.Error.WriteLine($"sandbox86: command timed out after {timeout}s and was killed");
        }

        return ExitCodes.Of(result);
    }

    /// <summary>The guest's TERM follows ours unless <c>-e TERM=…</c> says otherwise.</summary>
    internal static IReadOnlyDictionary<string, string> WithTerm(Dictionary<string, string> env)
    {
        if (!env.ContainsKey("TERM") && Environment.GetEnvironmentVariable("TERM") is { Length: > 0 } term)
        {
            env["TERM"] = term;
        }

        return env;
    }

    /// <summary>A library error in a run's specification becomes a usage error that names the flag.</summary>
    internal static Sandbox86.Mounts.MountSpec ParseVolume(string value)
    {
        try
        {
            return Sandbox86.Mounts.MountSpec.Parse(value);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"-v: {e.Message}");
        }
    }

    private static T WithFlag<T>(string flag, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (SandboxRunException e)
        {
            throw new UsageException(flag == "run" ? e.Message + ": sandbox86 run -- CMD ARGS..." : $"{flag} {e.Message}");
        }
    }

    private static void WithFlag(string flag, Action action) => WithFlag(flag, () => { action(); return 0; });
}
