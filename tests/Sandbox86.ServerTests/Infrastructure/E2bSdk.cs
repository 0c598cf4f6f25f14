using System.Diagnostics;
using System.Text.Json;

namespace Sandbox86.ServerTests.Infrastructure;

/// <summary>
/// Runs a node script with the unmodified <c>e2b</c> SDK (tests/e2b, installed with <c>npm ci</c> on first
/// use) against a <see cref="TestServer"/>; the script prints one JSON object, which is returned.
/// </summary>
internal static class E2bSdk
{
    private static readonly SemaphoreSlim InstallLock = new(1, 1);

    public static string Directory { get; } = Path.Combine(RepoRoot(), "tests", "e2b");

    public static async Task<JsonElement> RunAsync(TestServer server, string script, string? apiKey = null)
    {
        await EnsureInstalledAsync();
        var path = Path.Combine(Directory, $".test-{Guid.NewGuid():N}.mjs");
        await File.WriteAllTextAsync(path, script);
        try
        {
            var (code, stdout, stderr) = await ExecAsync("node", [path], new Dictionary<string, string>
            {
                ["E2B_API_URL"] = server.Url,
                ["E2B_SANDBOX_URL"] = server.Url,
                ["E2B_API_KEY"] = apiKey ?? TestServer.Key,
            });
            Assert.True(code == 0, $"node exited {code}\nstdout: {stdout}\nstderr: {stderr}");
            var last = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last();
            return JsonDocument.Parse(last).RootElement.Clone();
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task EnsureInstalledAsync()
    {
        await InstallLock.WaitAsync();
        try
        {
            if (File.Exists(Path.Combine(Directory, "node_modules", "e2b", "package.json")))
            {
                return;
            }

            var (code, stdout, stderr) = await ExecAsync("npm", ["ci", "--no-audit", "--no-fund"], []);
            Assert.True(code == 0, $"npm ci in tests/e2b failed ({code}): {stdout}{stderr}");
        }
        finally
        {
            InstallLock.Release();
        }
    }

    private static async Task<(int Code, string Stdout, string Stderr)> ExecAsync(string file, string[] args, Dictionary<string, string> env)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = Directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (k, v) in env)
        {
            start.Environment[k] = v;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "sandbox86.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("sandbox86.slnx not found above the test binaries");
    }
}
