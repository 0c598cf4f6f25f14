using System.CommandLine;
using System.Diagnostics;

namespace Sandbox86.Cli.Commands.Sandboxes;

/// <summary><c>sandbox86 cp SRC DST</c> with <c>ID:PATH</c> on one side: files and directories, like <c>docker cp</c>.</summary>
internal static class CpCommand
{
    private static readonly Argument<string> SourceArgument = new("source") { Description = "Host path or ID:PATH" };
    private static readonly Argument<string> DestinationArgument = new("destination") { Description = "Host path or ID:PATH" };
    private static readonly Option<string?> UserOption = new("--user", "-u") { Description = "Guest user the files are read or written as (default: 'user')" };

    public static Command Create()
    {
        var command = new Command("cp", "Copy files or directories between the host and a sandbox, like 'docker cp'")
        {
            SourceArgument, DestinationArgument, UserOption,
        };
        ServerFlags.AddTo(command);
        command.SetAction((parse, ct) => VerbErrors.GuardAsync(() => RunAsync(parse, ct)));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var (source, destination) = CopyTarget.ParsePair(parse.GetValue(SourceArgument)!, parse.GetValue(DestinationArgument)!);
        var user = parse.GetValue(UserOption);
        using var client = await ServerFlags.ConnectAsync(parse, cancellationToken);
        var clock = Stopwatch.StartNew();
        if (source.InSandbox)
        {
            var sandbox = await VerbErrors.RunningAsync(client, source.Sandbox!, cancellationToken);
            await client.CopyFromSandboxAsync(sandbox.SandboxId, source.Path, destination.Path, user, cancellationToken);
        }
        else
        {
            if (!File.Exists(source.Path) && !Directory.Exists(source.Path))
            {
                throw new Output.UsageException($"cp: no such file or directory: {source.Path}");
            }

            var sandbox = await VerbErrors.RunningAsync(client, destination.Sandbox!, cancellationToken);
            await client.CopyToSandboxAsync(sandbox.SandboxId, source.Path, destination.Path, user, cancellationToken);
        }

        Sandbox86.Util.PhaseTrace.Mark($"cp done in {clock.ElapsedMilliseconds} ms");
        return 0;
    }
}
