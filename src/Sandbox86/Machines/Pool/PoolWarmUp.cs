using Sandbox86.Guest;

namespace Sandbox86.Machines.Pool;

/// <summary>
/// Commands a pooled machine runs before it is suspended. A suspended worker keeps v86's compiled code
/// and the guest's page cache, so the first command after a claim runs hot instead of paying for JIT
/// compilation of the loader, libc and the shell (after a bare restore the first <c>bash -l -c</c> took
/// ~400 ms of a 435 ms claim-to-stdout on a quiet host; see DESIGN.md, "Warm pool: where a claim's time goes").
/// </summary>
public static class PoolWarmUp
{
    /// <summary>
    /// What a server's first envd call runs: the E2B SDK's <c>commands.run</c> (<c>/bin/bash -l -c</c> as
    /// <c>user</c> in its home), plus <c>/bin/sh -c</c>. Run as <c>user</c> when the image has that account,
    /// else as root. (The envd user probe is not among them: the lane learns that once per build,
    /// <see cref="Machine.HasDefaultUserAsync"/>, and a claim never runs it.)
    /// </summary>
    public static IReadOnlyList<ExecRequest> E2BFirstCall { get; } =
    [
        AsUser(["/bin/bash", "-l", "-c", "echo hi"]),
        AsUser(["/bin/sh", "-c", "echo hi"]),
    ];

    private static ExecRequest AsUser(string[] argv) => new()
    {
        Argv = argv,
        User = "user",
        WorkingDirectory = "/home/user",
        Env = new Dictionary<string, string> { ["HOME"] = "/home/user", ["USER"] = "user" },
        OutputCap = 4096,
    };

    /// <summary>
    /// Runs <paramref name="commands"/> <paramref name="rounds"/> times; a command whose user the image
    /// lacks runs as root instead. Exit codes do not matter: only the code paths they heat up.
    /// </summary>
    internal static async Task RunAsync(Machine machine, IReadOnlyList<ExecRequest> commands, int rounds, CancellationToken cancellationToken)
    {
        for (var round = 0; round < rounds; round++)
        {
            foreach (var command in commands)
            {
                try
                {
                    await machine.Agent.ExecAsync(command with { Timeout = TimeSpan.FromSeconds(60) }, cancellationToken);
                }
                catch (AgentException) when (command.User is not null)
                {
                    await machine.Agent.ExecAsync(command with { User = null, WorkingDirectory = null, Env = null, Timeout = TimeSpan.FromSeconds(60) }, cancellationToken);
                }
            }
        }
    }
}
