using System.CommandLine;

namespace Sandbox86.Cli.Commands.Sandboxes;

/// <summary><c>sandbox86 fork ID [--count N]</c>: copies of a running sandbox (E2B's fork); prints the new ids.</summary>
internal static class ForkCommand
{
    private static readonly Argument<string> SandboxArgument = new("sandbox") { Description = "Sandbox id or name" };
    private static readonly Option<int> CountOption = new("--count", "-n") { Description = "How many copies", DefaultValueFactory = _ => 1 };
    private static readonly Option<int> TimeoutOption = new("--timeout") { Description = "Seconds each copy lives", DefaultValueFactory = _ => CreateCommand.DefaultTimeoutSeconds };

    public static Command Create()
    {
        var command = new Command("fork", "Fork a running sandbox into copies; prints their ids") { SandboxArgument, CountOption, TimeoutOption };
        ServerFlags.AddTo(command);
        command.SetAction((parse, ct) => VerbErrors.GuardAsync(async () =>
        {
            var count = parse.GetValue(CountOption);
            if (count is < 1 or > 100)
            {
                throw new Output.UsageException("--count must be between 1 and 100");
            }

            using var client = await ServerFlags.ConnectAsync(parse, ct);
            var sandbox = await VerbErrors.RunningAsync(client, parse.GetValue(SandboxArgument)!, ct);
            var failed = 0;
            foreach (var result in await client.ForkAsync(sandbox.SandboxId, count, TimeSpan.FromSeconds(parse.GetValue(TimeoutOption)), ct))
            {
                if (result.Sandbox is { } fork)
                {
                    Console.WriteLine(fork.SandboxId);
                }
                else
                {
                    Console.Error.WriteLine($"sandbox86: error: a fork failed: {result.Error}");
                    failed++;
                }
            }

            return failed == 0 ? 0 : Output.CliError.ToolError;
        }));
        return command;
    }
}
