using System.CommandLine;
using Sandbox86.Cli.Commands.Run;
using Sandbox86.Cli.Output;
using Sandbox86.Guest;
using Sandbox86.Images.Store;
using Sandbox86.Machines;
using Sandbox86.Sandboxes;

namespace Sandbox86.Cli.Commands.Boot;

/// <summary>
/// <c>sandbox86 boot IMAGE</c>: env86-style interactive use. Attaches the terminal to a login shell
/// (through the agent, with a PTY) or, with <c>--ttyS0</c>, to the raw serial console. When the shell
/// ends (Ctrl+D) and <c>--save</c> was given, the VM state becomes the image's boot snapshot, so the next
/// <c>run</c> starts exactly there. With <c>--no-console</c> the same happens on Ctrl+C (SIGINT or
/// SIGTERM); a second one during the save aborts it (exit 130).
/// </summary>
internal static class BootCommand
{
    private static readonly Argument<string> ImageArgument = new("image") { Description = "Image name", DefaultValueFactory = _ => "default" };
    private static readonly Option<bool> SaveOption = new("--save") { Description = "On exit, save the VM state as the image's boot snapshot" };
    private static readonly Option<bool> SerialOption = new("--ttyS0") { Description = "Attach to the raw serial console instead of an agent shell (Ctrl+] or EOF ends)" };
    private static readonly Option<bool> NoConsoleOption = new("--no-console") { Description = "Attach nothing; run until Ctrl+C" };
    private static readonly Option<double> IdleSuspendOption = new("--idle-suspend") { Description = "With --no-console: seconds idle (no call, frame or flow) before the emulator is suspended; 0 never" };
    private static readonly Option<string> ShellOption = new("--shell") { Description = "Shell to start", DefaultValueFactory = _ => "/bin/sh" };

    // Bounds a save that a signal led to: it drops the page cache and warms up in the guest (up to 90 s
    // of agent timeouts), then compresses; a wedged guest must not keep the terminal forever.
    private static readonly TimeSpan SaveTimeout = TimeSpan.FromMinutes(5);

    public static Command Create()
    {
        var command = new Command("boot", "Boot an image and attach the terminal (env86-style)")
        {
            ImageArgument, SaveOption, SerialOption, NoConsoleOption, ShellOption, IdleSuspendOption,
        };
        MachineFlags.AddTo(command);
        command.SetAction((parse, ct) => CliError.GuardAsync(() => RunAsync(parse, ct)));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken commandToken)
    {
        // CliApp leaves SIGINT/SIGTERM to us for boot (see InterruptSignals).
        using var signals = new InterruptSignals();
        using var running = CancellationTokenSource.CreateLinkedTokenSource(commandToken, signals.Running);
        var cancellationToken = running.Token;
        var save = parse.GetValue(SaveOption);
        var serial = parse.GetValue(SerialOption);
        var options = MachineFlags.ToOptions(parse) with
        {
            // With --ttyS0 the console is shown from the first byte, so a cold boot's kernel log is visible.
            SerialOutput = serial ? SerialConsole.Print : null,
        };
        var network = NetworkFlags.Parse(parse);
        var image = await ImageResolver.OpenAsync(parse.GetValue(ImageArgument)!, cancellationToken);
        await using var machine = await Machine.StartAsync(image, options, cancellationToken);
        await using var attachedNetwork = await NetworkFlags.AttachAsync(network, machine, cancellationToken);
        Console.Error.WriteLine($"sandbox86: {(machine.Restored ? "restored" : "booted")} '{image.Name}' in {machine.StartDuration.TotalSeconds:0.0}s");

        var exitCode = 0;
        if (parse.GetValue(NoConsoleOption))
        {
            Console.Error.WriteLine("sandbox86: running; Ctrl+C stops it");
            // Only without a console: an attached terminal's shell is a running command, awake by definition.
            machine.EnableIdleSuspend(TimeSpan.FromSeconds(Math.Clamp(parse.GetValue(IdleSuspendOption), 0, 86400)));
            try
            {
                await machine.Exited.WaitAsync(cancellationToken);
                return CliError.ToolError;
            }
            catch (OperationCanceledException) when (save && signals.Interrupted)
            {
                // Ctrl+C is how --no-console ends: with --save it saves below and exits 0.
                Console.Error.WriteLine("sandbox86: stopping; saving the boot snapshot (Ctrl+C again aborts)");
            }
        }
        else if (serial)
        {
            await SerialConsole.AttachAsync(machine, cancellationToken);
        }
        else
        {
            var request = new ExecRequest
            {
                Argv = [parse.GetValue(ShellOption)!, "-l"],
                Env = GuestEnvironment.Build(image.Manifest.Config, RunCommand.WithTerm([])),
                ReplaceEnv = true,
                WorkingDirectory = "/root",
                Stdin = true,
                Pty = Console.IsInputRedirected ? null : TerminalMode.CurrentSize(),
            };
            var result = await ExecStreaming.RunAsync(machine.Agent, request, pipeStdin: true, tty: request.Pty is not null, cancellationToken);
            exitCode = ExitCodes.Of(result);
        }

        if (save)
        {
            // Under the boot-snapshot lock, into the build this machine runs (a rebuild meanwhile keeps its own).
            // Not the running token (a Ctrl+C may have cancelled it): a signal from now on, or the bound, aborts.
            using var saving = CancellationTokenSource.CreateLinkedTokenSource(signals.BeginSave());
            saving.CancelAfter(SaveTimeout);
            SnapshotInfo info;
            try
            {
                info = await machine.SaveBootSnapshotAsync(options, saving.Token);
            }
            catch (OperationCanceledException) when (saving.IsCancellationRequested && !signals.SaveAborted)
            {
                // A second Ctrl+C stays a cancellation (exit 130); the bound is an error. The old snapshot is
                // kept either way: a save publishes with one rename.
                throw new TimeoutException($"saving the boot snapshot took longer than {SaveTimeout.TotalMinutes:0} min");
            }

            Console.Error.WriteLine($"sandbox86: saved the VM state as {image.Name}'s boot snapshot ({info.CompressedBytes / 1048576.0:0.0} MiB)");
        }

        return exitCode;
    }
}
