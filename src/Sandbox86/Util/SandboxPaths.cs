namespace Sandbox86.Util;

/// <summary>
/// Where sandbox86 keeps its state: images, snapshots, caches and downloaded packages.
/// Defaults to <c>~/.cache/sandbox86</c>; <c>$SANDBOX86_HOME</c> overrides it so tests and CI
/// can share one cache outside the repository.
/// </summary>
public static class SandboxPaths
{
    /// <summary>The root of all sandbox86 state.</summary>
    public static string Home
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("SANDBOX86_HOME");
            if (!string.IsNullOrWhiteSpace(env))
            {
                return Path.GetFullPath(env);
            }

            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return Path.Combine(home, ".cache", "sandbox86");
        }
    }

    /// <summary>The image store: one directory per image name.</summary>
    public static string Images => Path.Combine(Home, "images");

    /// <summary>Downloaded Debian packages and extracted kernels, shared by all builds.</summary>
    public static string Cache => Path.Combine(Home, "cache");

    /// <summary>Scratch space for builds; on the same filesystem as <see cref="Images"/> so renames are atomic.</summary>
    public static string Temp => Path.Combine(Home, "tmp");
}
