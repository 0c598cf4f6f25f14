using System.Diagnostics;
using System.Text.Json;

namespace Sandbox86.ServerTests.Envd;

/// <summary>The unmodified e2b JS SDK (tests/e2b, pinned) against the envd endpoints and one real VM.</summary>
public sealed class E2bSdkTests(EnvdFixture fixture) : IClassFixture<EnvdFixture>
{
    [Fact]
    public async Task Sdk_commands_and_files_work_against_our_envd()
    {
        var root = Environment.GetEnvironmentVariable("SANDBOX86_ROOT") ?? FindRoot();
        var dir = Path.Combine(root, "tests", "e2b");
        Assert.True(Directory.Exists(Path.Combine(dir, "node_modules", "e2b")), "run 'npm ci' in tests/e2b (test.sh installs it)");
        var psi = new ProcessStartInfo("node", "envd-sdk.mjs") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        var url = fixture.BaseUri.ToString().TrimEnd('/');
        psi.Environment["E2B_API_URL"] = url;
        psi.Environment["E2B_SANDBOX_URL"] = url;
        psi.Environment["E2B_API_KEY"] = "e2b_" + new string('0', 40);
        // 250 SDK commands: the 32 MiB heap bound below still catches a leak of 128 KiB a command; SoakTests runs
        // 1,000 commands for slower ones. 1,000 here cost the suite ~2 more minutes (168 s at load 5-9).
        psi.Environment["SDK_RUNS"] = Environment.GetEnvironmentVariable("SDK_RUNS") ?? "250";
        // The server is in this process: its managed heap after a full GC must not grow with the runs.
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        using var node = Process.Start(psi)!;
        var stdout = node.StandardOutput.ReadToEndAsync();
        var stderr = node.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        await node.WaitForExitAsync(cts.Token);
        var output = (await stdout).Trim();
        Assert.True(node.ExitCode == 0, output + "\n" + await stderr);
        var result = JsonDocument.Parse(output.Split('\n')[^1]).RootElement;
        foreach (var check in result.GetProperty("checks").EnumerateObject())
        {
            Assert.Equal("ok", check.Value.GetString());
        }

        var growth = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
        Assert.True(growth < 32L * 1024 * 1024, $"server heap grew by {growth / 1024} KiB over the SDK runs");
        File.WriteAllText(Path.Combine(Path.GetTempPath(), "sandbox86-envd-heap.txt"), $"{heapBefore} {growth}");
        File.WriteAllText(Path.Combine(Path.GetTempPath(), "sandbox86-envd-sdk.json"), output);
    }

    private static string FindRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "sandbox86.slnx")))
        {
            d = d.Parent;
        }

        return d?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
