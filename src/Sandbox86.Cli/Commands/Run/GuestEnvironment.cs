using Sandbox86.Cli.Output;
using Sandbox86.Images.Store;

namespace Sandbox86.Cli.Commands.Run;

/// <summary>The environment a command starts with: sane defaults, then the image's, then <c>--env</c>.</summary>
internal static class GuestEnvironment
{
    public static Dictionary<string, string> Build(ImageRunConfig? config, IEnumerable<string> overrides, string? user = null)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ["TERM"] = Environment.GetEnvironmentVariable("TERM") is { Length: > 0 } term ? term : "xterm",
            ["LANG"] = "C.UTF-8",
        };
        // With a user, the agent sets HOME (and USER, LOGNAME) from the account's passwd entry, as docker does.
        if (user is null)
        {
            env["HOME"] = "/root";
        }

        foreach (var pair in config?.Env ?? [])
        {
            Add(env, pair, fromUser: false);
        }

        foreach (var pair in overrides)
        {
            Add(env, pair, fromUser: true);
        }

        return env;
    }

    private static void Add(Dictionary<string, string> env, string pair, bool fromUser)
    {
        var eq = pair.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            if (fromUser)
            {
                // docker's '-e NAME' passes the host's value through.
                if (pair.Length > 0 && Environment.GetEnvironmentVariable(pair) is { } hostValue)
                {
                    env[pair] = hostValue;
                    return;
                }

                throw new UsageException($"--env {pair}: expected K=V");
            }

            return;
        }

        env[pair[..eq]] = pair[(eq + 1)..];
    }
}
