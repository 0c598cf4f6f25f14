using Sandbox86.Images.Store;

namespace Sandbox86.Sandboxes;

/// <summary>The environment a command starts with: sane defaults, then the image's <c>Env</c>, then the caller's.</summary>
public static class GuestEnvironment
{
    /// <summary>
    /// Defaults a Debian shell would have; <c>TERM</c> is what a PTY client most likely speaks. HOME is
    /// root's only when no user is named: for a named user the agent sets HOME, USER and LOGNAME from the
    /// account's passwd entry, as docker does.
    /// </summary>
    public static Dictionary<string, string> Defaults(string? user = null)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ["TERM"] = "xterm",
            ["LANG"] = "C.UTF-8",
        };
        if (user is null)
        {
            env["HOME"] = "/root";
        }

        return env;
    }

    /// <summary>Defaults (for <paramref name="user"/>), then the image's <c>Env</c>, then <paramref name="overrides"/>.</summary>
    public static Dictionary<string, string> Build(ImageRunConfig? config, IReadOnlyDictionary<string, string> overrides, string? user = null)
    {
        var env = Defaults(user);
        foreach (var pair in config?.Env ?? [])
        {
            // An image's entry without '=' carries no value (OCI configs are K=V); it is ignored, not an error.
            if (TrySplit(pair, out var key, out var value))
            {
                env[key] = value;
            }
        }

        foreach (var (key, value) in overrides)
        {
            if (!IsValidName(key))
            {
                throw new SandboxRunException($"environment variable name '{key}' is empty or contains '=' or NUL");
            }

            env[key] = value;
        }

        return env;
    }

    /// <summary>Splits <c>K=V</c> on the first '='; false when there is no '=' or the name is empty.</summary>
    public static bool TrySplit(string pair, out string key, out string value)
    {
        var eq = pair.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            key = value = "";
            return false;
        }

        key = pair[..eq];
        value = pair[(eq + 1)..];
        return true;
    }

    private static bool IsValidName(string key) => key.Length > 0 && !key.Contains('=', StringComparison.Ordinal) && !key.Contains('\0', StringComparison.Ordinal);
}
