using System.CommandLine;

namespace Sandbox86.Cli.Commands.Sandboxes;

/// <summary><c>sandbox86 logs ID</c>: the guest's console (its last lines), like <c>docker logs</c>.</summary>
internal static class LogsCommand
{
    private static readonly Argument<string> SandboxArgument = new("sandbox") { Description = "Sandbox id or name" };
    private static readonly Option<bool> TimestampsOption = new("--timestamps") { Description = "Prefix each line with the time the server read it" };

    public static Command Create()
    {
        var command = new Command("logs", "Print a sandbox's console output, like 'docker logs'") { SandboxArgument, TimestampsOption };
        ServerFlags.AddTo(command);
        command.SetAction((parse, ct) => VerbErrors.GuardAsync(async () =>
        {
            using var client = await ServerFlags.ConnectAsync(parse, ct);
            var sandbox = await client.FindAsync(parse.GetValue(SandboxArgument)!, ct);
            var stamps = parse.GetValue(TimestampsOption);
            foreach (var line in await client.GetLogsAsync(sandbox.SandboxId, ct))
            {
                Console.WriteLine(stamps ? $"{line.Timestamp:O} {line.Line}" : line.Line);
            }

            return 0;
        }));
        return command;
    }
}
