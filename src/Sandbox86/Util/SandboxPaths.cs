namespace Sandbox86.Util;

/// <summary>
/// Where sandbox86 keeps its state: images, snapshots, caches and downloaded packages.
/// Defaults to <c>~/.cache/sandbox86</c>; <c>$SANDBOX86_HOME</c> overrides it so tests and CI
/// can share one cache outside the repository.
/// </summary>
internal static class SandboxPaths
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

    /// <summary>
    /// Development and tests only (the library finds its run-time files through
    /// <see cref="Runtime.RuntimeAssets"/>): the sandbox86 checkout, <c>$SANDBOX86_ROOT</c>, else the
    /// nearest ancestor of the running assembly that has <c>worker/worker.mjs</c>, else the current directory.
    /// </summary>
    public static string RepoRoot
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("SANDBOX86_ROOT");
            if (!string.IsNullOrWhiteSpace(env))
            {
                return Path.GetFullPath(env);
            }

            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "worker", "worker.mjs")))
                {
                    return dir.FullName;
                }
            }

            return Directory.GetCurrentDirectory();
        }
    }
}
