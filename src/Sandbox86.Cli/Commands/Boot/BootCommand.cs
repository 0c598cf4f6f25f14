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
/// <c>run</c> starts exactly there.
/// </summary>
internal static class BootCommand
{
    private static readonly Argument<string> ImageArgument = new("image") { Description = "Image name", DefaultValueFactory = _ => "default" };
    private static readonly Option<bool> SaveOption = new("--save") { Description = "On exit, save the VM state as the image's boot snapshot" };
    private static readonly Option<bool> SerialOption = new("--ttyS0") { Description = "Attach to the raw serial console instead of an agent shell (Ctrl+] or EOF ends)" };
    private static readonly Option<bool> NoConsoleOption = new("--no-console") { Description = "Attach nothing; run until Ctrl+C" };
    private static readonly Option<string> ShellOption = new("--shell") { Description = "Shell to start", DefaultValueFactory = _ => "/bin/sh" };

    public static Command Create()
    {
        var command = new Command("boot", "Boot an image and attach the terminal (env86-style)")
        {
            ImageArgument, SaveOption, SerialOption, NoConsoleOption, ShellOption,
        };
        MachineFlags.AddTo(command);
        command.SetAction((parse, ct) => CliError.GuardAsync(() => RunAsync(parse, ct)));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
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
            try
            {
                await machine.Exited.WaitAsync(cancellationToken);
                return CliError.ToolError;
            }
            catch (OperationCanceledException) when (save)
            {
                // Ctrl+C with --save still saves below.
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
            var info = await machine.SaveBootSnapshotAsync(options, CancellationToken.None);
            Console.Error.WriteLine($"sandbox86: saved the VM state as {image.Name}'s boot snapshot ({info.CompressedBytes / 1048576.0:0.0} MiB)");
        }

        return exitCode;
    }
}
