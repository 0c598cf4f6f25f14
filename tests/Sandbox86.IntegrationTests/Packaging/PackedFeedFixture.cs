using System.Text.RegularExpressions;
using Sandbox86.IntegrationTests.Infrastructure;
using Sandbox86.Util;

namespace Sandbox86.IntegrationTests.Packaging;

/// <summary>
/// Packs the tool (Sandbox86.Cli) and the library (Sandbox86) of this checkout once, into a temporary
/// feed, with their own artifacts directory (the checkout's bin/ stays untouched) and a temporary NuGet
/// cache (so a package of the same version from an earlier run is never reused).
/// </summary>
public sealed partial class PackedFeedFixture : IAsyncLifetime
{
    public DirectoryInfo Root { get; } = Directory.CreateTempSubdirectory("sandbox86-pack-");

    public string Feed => Path.Combine(Root.FullName, "feed");

    public string NuGetCache => Path.Combine(Root.FullName, "nuget-packages");

    /// <summary>The version the packages got (Directory.Build.props).</summary>
    public string Version { get; private set; } = "";

    public TimeSpan ToolPackTime { get; private set; }

    public TimeSpan LibraryPackTime { get; private set; }

    /// <summary>
    /// The environment for every child: no checkout (SANDBOX86_ROOT unset), the temporary NuGet cache, no
    /// build servers or reused MSBuild nodes (they would outlive the test holding its output pipes), and
    /// none of the MSBuild variables the test host inherited from <c>dotnet test</c>.
    /// </summary>
    public IReadOnlyDictionary<string, string?> Environment
    {
        get
        {
            var env = new Dictionary<string, string?>
            {
                ["SANDBOX86_ROOT"] = null,
                ["NUGET_PACKAGES"] = NuGetCache,
                ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
                ["DOTNET_NOLOGO"] = "1",
                ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
                ["MSBUILDDISABLENODEREUSE"] = "1",
                ["UseSharedCompilation"] = "false",
            };
            foreach (var key in System.Environment.GetEnvironmentVariables().Keys.Cast<string>())
            {
                if (key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) && key != "MSBUILDDISABLENODEREUSE")
                {
                    env[key] = null;
                }
            }

            return env;
        }
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Feed);
        ToolPackTime = await PackAsync(Path.Combine("src", "Sandbox86.Cli"));
        LibraryPackTime = await PackAsync(Path.Combine("src", "Sandbox86"));
        var tool = Directory.GetFiles(Feed, "Sandbox86.Cli.*.nupkg").Single();
        Version = NupkgVersion().Match(Path.GetFileName(tool)).Groups[1].Value;
        Assert.True(File.Exists(Path.Combine(Feed, $"Sandbox86.{Version}.nupkg")), "the library package has the tool's version");
    }

    private async Task<TimeSpan> PackAsync(string project)
    {
        var artifacts = Path.Combine(Root.FullName, "artifacts");
        var result = await ChildProcess.RunAsync("dotnet",
            ["pack", Path.Combine(SandboxPaths.RepoRoot, project), "-c", "Release", "--artifacts-path", artifacts, "-o", Feed,
             "-nologo", "-v", "q", "-nodeReuse:false", "-p:UseSharedCompilation=false"],
            SandboxPaths.RepoRoot, Environment, TimeSpan.FromMinutes(10));
        Assert.True(result.ExitCode == 0, result.Describe($"dotnet pack {project}"));
        return result.Elapsed;
    }

    public Task DisposeAsync()
    {
        Root.Delete(recursive: true);
        return Task.CompletedTask;
    }

    [GeneratedRegex(@"^Sandbox86\.Cli\.(.+)\.nupkg$")]
    private static partial Regex NupkgVersion();
}
