using Sandbox86.Cli.Output;
using Sandbox86.Sandboxes;

namespace Sandbox86.Cli.Commands.Run;

/// <summary><c>-e K=V</c> and docker's <c>-e NAME</c> (the host's value) into the variables of a <see cref="RunSpec"/>.</summary>
internal static class EnvFlags
{
    public static Dictionary<string, string> Parse(IEnumerable<string> values)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in values)
        {
            if (GuestEnvironment.TrySplit(pair, out var key, out var value))
            {
                env[key] = value;
            }
            else if (pair.Length > 0 && !pair.Contains('=', StringComparison.Ordinal) && Environment.GetEnvironmentVariable(pair) is { } hostValue)
            {
                env[pair] = hostValue;
            }
            else
            {
                throw new UsageException($"--env {pair}: expected K=V (or the name of a host variable that is set)");
            }
        }

        return env;
    }
}
