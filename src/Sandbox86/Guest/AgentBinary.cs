using System.Diagnostics;

namespace Sandbox86.Guest;

/// <summary>
/// Development only: builds the guest agent from a checkout (agent/build.sh, gcc, static i386). Installed
/// packages carry a prebuilt one (<see cref="Runtime.RuntimeAssets.AgentBinary"/>).
/// </summary>
internal static class AgentBinary
{
    /// <summary>Path of the binary inside the repository.</summary>
    public const string RelativePath = "agent/out/sandbox86-agent";

    /// <summary>The first directory at or above <paramref name="startDirectory"/> containing agent/build.sh.</summary>
    public static string? FindRepoRoot(string? startDirectory = null)
    {
        for (var dir = new DirectoryInfo(startDirectory ?? AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "agent", "build.sh")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    /// <summary>
    /// Runs agent/build.sh (a no-op when the binary is up to date) and returns the binary's path.
    /// Throws <see cref="InvalidOperationException"/> with the compiler output when the build fails
    /// (e.g. no 32-bit gcc: install gcc-multilib).
    /// </summary>
    public static async Task<string> EnsureBuiltAsync(string repoRoot, CancellationToken cancellationToken = default)
    {
        var script = Path.Combine(repoRoot, "agent", "build.sh");
        var psi = new ProcessStartInfo("sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(script);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start sh");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        var output = await stdout.ConfigureAwait(false);
        var errors = await stderr.ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"agent build failed ({process.ExitCode}): {errors}{output}");
        }

        return Path.Combine(repoRoot, RelativePath);
    }
}
