using System.Diagnostics;
using Sandbox86.Guest;

namespace Sandbox86.Tests.Guest;

/// <summary>
/// Builds the real agent once per test run. A host that cannot link a static i386 program at all
/// (no gcc, no gcc-multilib) makes the tests skip with that reason; any other build failure (a new
/// -Werror warning, a syntax error) makes every test that needs the agent fail.
/// </summary>
public sealed class AgentBuildFixture : IAsyncLifetime
{
    private string? agentPath;

    /// <summary>Why the host cannot build i386 static programs at all (a skip), or null.</summary>
    public string? SkipReason { get; private set; }

    /// <summary>Why agent/build.sh failed on a host that can build i386 programs (a failure), or null.</summary>
    public string? BuildError { get; private set; }

    /// <summary>The built agent; skips the calling test when gcc-multilib is absent, fails it when the build broke.</summary>
    public string AgentPath
    {
        get
        {
            Skip.If(SkipReason is not null, SkipReason);
            if (BuildError is not null)
            {
                Assert.Fail(BuildError);
            }

            return agentPath!;
        }
    }

    public async Task InitializeAsync()
    {
        if (!OperatingSystem.IsLinux())
        {
            SkipReason = "the agent is a Linux binary";
            return;
        }

        var root = AgentBinary.FindRepoRoot();
        if (root is null)
        {
            BuildError = "repository root (agent/build.sh) not found above the test directory";
            return;
        }

        try
        {
            agentPath = await AgentBinary.EnsureBuiltAsync(root);
        }
        catch (InvalidOperationException ex)
        {
            var probe = await ProbeI386ToolchainAsync();
            if (probe is not null)
            {
                SkipReason = $"this host cannot link a static i386 program (install gcc-multilib): {probe}";
            }
            else
            {
                BuildError = $"agent/build.sh failed although gcc -m32 -static works on this host: {ex.Message}";
            }
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Compiles a trivial program the way build.sh does; null when that works, else why not.</summary>
    internal static async Task<string?> ProbeI386ToolchainAsync()
    {
        var dir = Directory.CreateTempSubdirectory("sbx86-m32-");
        try
        {
            var source = Path.Combine(dir.FullName, "probe.c");
            await File.WriteAllTextAsync(source, "int main(void) { return 0; }\n");
            var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("CC") is { Length: > 0 } cc ? cc : "gcc")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { "-m32", "-static", "-o", Path.Combine(dir.FullName, "probe"), source })
            {
                psi.ArgumentList.Add(arg);
            }

            Process? process;
            try
            {
                process = Process.Start(psi);
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                return $"{psi.FileName} not found ({ex.Message})";
            }

            using (process)
            {
                if (process is null)
                {
                    return $"cannot start {psi.FileName}";
                }

                var stderr = process.StandardError.ReadToEndAsync();
                _ = process.StandardOutput.ReadToEndAsync();
                await process.WaitForExitAsync();
                return process.ExitCode == 0 ? null : (await stderr).Trim();
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
