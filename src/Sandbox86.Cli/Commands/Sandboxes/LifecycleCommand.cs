using System.CommandLine;
using Sandbox86.Client;

namespace Sandbox86.Cli.Commands.Sandboxes;

/// <summary>
/// <c>pause</c>, <c>resume</c>, <c>stop</c> and <c>rm</c> of one or more sandboxes (ids or names), each
/// printed as it is done, as docker does. <c>stop</c> is <c>pause</c>: the sandbox stays on disk, whole,
/// and <c>resume</c> brings it back; <c>rm</c> deletes it (running or paused).
/// </summary>
internal static class LifecycleCommand
{
    private static readonly Argument<string[]> SandboxesArgument = new("sandbox") { Description = "Sandbox ids or names", Arity = ArgumentArity.OneOrMore };
    private static readonly Option<bool> ForceOption = new("--force", "-f") { Description = "Accepted for docker compatibility: rm removes running sandboxes anyway" };

    public static IEnumerable<Command> CreateAll()
    {
        yield return Create("pause", "Pause sandboxes to disk (memory, files and processes kept)", (c, s, ct) => c.PauseAsync(s.SandboxId, ct), skipIf: "paused");
        yield return Create("resume", "Resume paused sandboxes", (c, s, ct) => c.ResumeAsync(s.SandboxId, TimeSpan.FromSeconds(CreateCommand.DefaultTimeoutSeconds), ct), skipIf: "running");
        yield return Create("stop", "Stop sandboxes: pause them to disk ('resume' starts them again, 'rm' deletes them)", (c, s, ct) => c.PauseAsync(s.SandboxId, ct), skipIf: "paused");
        var rm = Create("rm", "Remove sandboxes (running or paused)", (c, s, ct) => c.KillAsync(s.SandboxId, ct), skipIf: null);
        rm.Options.Add(ForceOption);
        yield return rm;
    }

    private static Command Create(string verb, string description, Func<SandboxClient, SandboxInfo, CancellationToken, Task> act, string? skipIf)
    {
        var command = new Command(verb, description) { SandboxesArgument };
        ServerFlags.AddTo(command);
        command.SetAction((parse, ct) => VerbErrors.GuardAsync(async () =>
        {
            using var client = await ServerFlags.ConnectAsync(parse, ct);
            var failed = 0;
            foreach (var target in parse.GetValue(SandboxesArgument) ?? [])
            {
                try
                {
                    var sandbox = await client.FindAsync(target, ct);
                    // Pausing a paused sandbox (or resuming a running one) is already done, not an error.
                    if (sandbox.State != skipIf)
                    {
                        await act(client, sandbox, ct);
                    }

                    Console.WriteLine(target);
                }
                catch (SandboxApiException e)
                {
                    Console.Error.WriteLine($"sandbox86: error: {target}: {e.Message}");
                    failed++;
                }
            }

            return failed == 0 ? 0 : VerbErrors.NoSuchSandbox;
        }));
        return command;
    }
}
