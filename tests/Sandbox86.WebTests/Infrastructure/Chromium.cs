using System.Diagnostics;

namespace Sandbox86.WebTests.Infrastructure;

/// <summary>
/// Debian's chromium, the browser the tests drive (PuppeteerSharp's own downloads are never used). Installed
/// with apt-get when missing and the tests run as root; an installation that fails is a failure. Only without
/// root is a missing browser a prerequisite truly absent, and the tests say skipped.
/// </summary>
internal static class Chromium
{
    public const string Path = "/usr/bin/chromium";

    private static readonly SemaphoreSlim Gate = new(1, 1);

    public static async Task EnsureAsync()
    {
        if (File.Exists(Path))
        {
            return;
        }

        Skip.If(Environment.UserName != "root" && !IsRoot(), $"{Path} is missing and the tests do not run as root (as root run: apt-get install -y chromium)");
        await Gate.WaitAsync();
        try
        {
            if (File.Exists(Path))
            {
                return;
            }

            var update = await RunAsync("apt-get", "update -q");
            var install = await RunAsync("apt-get", "install -y -q --no-install-recommends chromium");
            Assert.True(install.Code == 0 && File.Exists(Path), $"apt-get install chromium failed (exit {install.Code}; update exit {update.Code}):\n{install.Output}");
        }
        finally
        {
            Gate.Release();
        }
    }

    private static bool IsRoot() => File.ReadAllText("/proc/self/status").Split('\n').FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))?.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) == "0";

    private static async Task<(int Code, string Output)> RunAsync(string file, string arguments)
    {
        var psi = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
