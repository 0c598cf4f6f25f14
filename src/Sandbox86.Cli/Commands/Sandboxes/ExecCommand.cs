using System.CommandLine;
using System.Runtime.InteropServices;
using Sandbox86.Cli.Commands.Run;
using Sandbox86.Cli.Output;
using Sandbox86.Client;

namespace Sandbox86.Cli.Commands.Sandboxes;

/// <summary>
/// <c>sandbox86 exec [-i] [-t] [-e K=V] [-w DIR] [-u USER] ID|NAME -- CMD…</c>, with <c>docker exec</c>'s
/// contract: the command's stdout and stderr to ours, its exit code as ours (127/126 when it cannot be
/// found/run), exit 1 and one line for an unknown sandbox, Ctrl+C ends the command.
/// </summary>
internal static class ExecCommand
{
    private static readonly Option<bool> InteractiveOption = new("--interactive", "-i") { Description = "Pipe our stdin to the command" };
    private static readonly Option<bool> TtyOption = new("--tty", "-t") { Description = "Give the command a terminal" };
    private static readonly Option<string[]> EnvOption = new("--env", "-e") { Description = "Set an environment variable K=V (repeatable)", AllowMultipleArgumentsPerToken = false };
    private static readonly Option<string?> WorkdirOption = new("--workdir", "-w") { Description = "Working directory in the sandbox (default: the user's home)" };
    private static readonly Option<string?> UserOption = new("--user", "-u") { Description = "Guest user (default: 'user', as on E2B)" };
    private static readonly Argument<string> SandboxArgument = new("sandbox") { Description = "Sandbox id or name" };
    private static readonly Argument<string[]> CommandArgument = new("command") { Description = "Command and arguments (after --)", Arity = ArgumentArity.OneOrMore };

    public static Command Create()
    {
        var command = new Command("exec", "Run a command in a running sandbox, like 'docker exec'")
        {
            InteractiveOption, TtyOption, EnvOption, WorkdirOption, UserOption, SandboxArgument, CommandArgument,
        };
        ServerFlags.AddTo(command);
        command.SetAction((parse, ct) => VerbErrors.GuardAsync(() => RunAsync(parse, ct)));
        return command;
    }

    /// <summary>The process request the flags describe (no server needed: unit-tested).</summary>
    internal static SandboxProcessOptions ToOptions(ParseResult parse, (int Rows, int Columns)? terminal)
    {
        var tty = parse.GetValue(TtyOption);
        var user = parse.GetValue(UserOption);
        if (user is { Length: 0 })
        {
            throw new UsageException("--user must not be empty");
        }

        return new SandboxProcessOptions
        {
            Command = parse.GetValue(CommandArgument) ?? [],
            Env = RunCommand.WithTerm(EnvFlags.Parse(parse.GetValue(EnvOption) ?? [])),
            WorkingDirectory = parse.GetValue(WorkdirOption),
            User = user,
            Stdin = parse.GetValue(InteractiveOption) || tty,
            Pty = tty ? terminal ?? (24, 80) : null,
        };
    }

    private static async Task ResizeAsync(SandboxProcess process)
    {
        try
        {
            var size = TerminalMode.CurrentSize();
            await process.ResizeAsync(size.Rows, size.Columns, CancellationToken.None);
        }
        catch (SandboxApiException)
        {
            // The command may have ended; a lost resize is harmless.
        }
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var tty = parse.GetValue(TtyOption);
        var size = tty ? TerminalMode.CurrentSize() : default;
        var options = ToOptions(parse, tty ? (size.Rows, size.Columns) : null);
        var interactive = parse.GetValue(InteractiveOption);
        using var client = await ServerFlags.ConnectAsync(parse, cancellationToken);
        var sandbox = await VerbErrors.RunningAsync(client, parse.GetValue(SandboxArgument)!, cancellationToken);
        SandboxProcess process;
        try
        {
            process = await client.StartProcessAsync(sandbox.SandboxId, options, cancellationToken);
        }
        catch (SandboxProcessStartException e)
        {
            // docker exec: "exec failed: … executable file not found in $PATH" and 127 (126 when not executable).
            Console.Error.WriteLine($"sandbox86: {e.Message}");
            return e.ExitCode;
        }

        await using (process)
        {
            using var terminal = tty ? TerminalMode.EnterRaw() : null;
            // The guest's terminal follows ours when the window is resized.
            using var resize = tty ? PosixSignalRegistration.Create(PosixSignal.SIGWINCH, context => _ = ResizeAsync(process)) : null;
            return await ExecSession.RunAsync(process, interactive || tty, cancellationToken);
        }
    }
}
