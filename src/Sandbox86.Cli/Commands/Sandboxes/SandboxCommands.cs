using System.CommandLine;

namespace Sandbox86.Cli.Commands.Sandboxes;

/// <summary>The docker-like verbs that drive a server's sandboxes.</summary>
internal static class SandboxCommands
{
    public static IEnumerable<Command> CreateAll()
    {
        yield return CreateCommand.Create();
        yield return ExecCommand.Create();
        yield return PsCommand.Create();
        yield return CpCommand.Create();
        foreach (var command in LifecycleCommand.CreateAll())
        {
            yield return command;
        }

        yield return LogsCommand.Create();
        yield return ForkCommand.Create();
    }
}
