using System.CommandLine;
using Sandbox86.Cli.Output;
using Sandbox86.Guest;
using Sandbox86.Images.Store;
using Sandbox86.Machines;

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
    private static readonly Argument<string[]> CommandArgument = new("command") { Description = "Command and arguments (after --); default: the image's own Cmd (OCI images)", Arity = ArgumentArity.ZeroOrMore };

    public static Command Create()
    {
        var command = new Command("run", "Run a command in a throwaway VM, like 'docker run'")
        {
            ImageOption, TimeoutOption, EnvOption, WorkdirOption, UserOption,
            InteractiveOption, TtyOption, CopyInOption, CopyOutOption, OutputCapOption, CommandArgument,
        };
        MachineFlags.AddTo(command);
        command.SetAction((parse, ct) => CliError.GuardAsync(() => RunAsync(parse, ct)));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var argv = parse.GetValue(CommandArgument) ?? [];
        var copyIn = (parse.GetValue(CopyInOption) ?? []).Select(v => CopySpec.Parse(v, "--copy-in")).ToList();
        var copyOut = (parse.GetValue(CopyOutOption) ?? []).Select(v => CopySpec.Parse(v, "--copy-out")).ToList();
        GuestFileTransfer.ValidateCopyIn(copyIn);
        var timeout = parse.GetValue(TimeoutOption);
        if (timeout is <= 0)
        {
            throw new UsageException("--timeout must be positive");
        }

        var tty = parse.GetValue(TtyOption);
        var interactive = parse.GetValue(InteractiveOption) || tty;
        // All flags are checked before an image is opened (and possibly built on first use).
        var options = MachineFlags.ToOptions(parse);
        var network = NetworkFlags.Parse(parse);
        var image = await ImageResolver.OpenAsync(parse.GetValue(ImageOption)!, cancellationToken);
        // Like 'docker run IMAGE [ARGS]': the image's entrypoint, then the arguments or its default command.
        var entrypoint = image.Manifest.Config?.Entrypoint ?? [];
        argv = [.. entrypoint, .. argv.Length > 0 ? argv : image.Manifest.Config?.Cmd ?? []];
        if (argv.Length == 0)
        {
            throw new UsageException($"no command given, and image '{image.Name}' has no default command: sandbox86 run -- CMD ARGS...");
        }

        var user = parse.GetValue(UserOption) ?? NullIfEmpty(image.Manifest.Config?.User);
        var environment = GuestEnvironment.Build(image.Manifest.Config, parse.GetValue(EnvOption) ?? [], user);

        await using var machine = await Machine.StartAsync(image, options, cancellationToken);
        await using var attachedNetwork = await NetworkFlags.AttachAsync(network, machine, cancellationToken);
        foreach (var spec in copyIn)
        {
            await GuestFileTransfer.CopyInAsync(machine.Agent, spec, cancellationToken);
        }

        var request = new ExecRequest
        {
            Argv = argv,
            Env = environment,
            ReplaceEnv = true,
            WorkingDirectory = parse.GetValue(WorkdirOption) ?? image.Manifest.Config?.WorkingDir,
            User = user,
            Stdin = interactive,
            Timeout = timeout is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
            Pty = tty ? TerminalMode.CurrentSize() : null,
            OutputCap = parse.GetValue(OutputCapOption),
        };
        var result = await ExecStreaming.RunAsync(machine.Agent, request, interactive, tty, cancellationToken);

        foreach (var spec in copyOut)
        {
            try
            {
                await GuestFileTransfer.CopyOutAsync(machine.Agent, spec, cancellationToken);
            }
            catch (AgentException e)
            {
                throw new UsageException($"--copy-out {spec.From}: {e.Message}");
            }
        }

        if (result.TimedOut)
        {
            Console.Error.WriteLine($"sandbox86: command timed out after {timeout}s and was killed");
        }

        return ExitCodeOf(result);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>Like a shell: the exit code, 128+N for a signal, 124 for a timeout.</summary>
    internal static int ExitCodeOf(ExecResult result) =>
        result.TimedOut ? 124 : result.Signal != 0 ? 128 + result.Signal : result.ExitCode;
}
