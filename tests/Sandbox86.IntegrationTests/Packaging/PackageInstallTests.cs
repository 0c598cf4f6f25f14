using System.IO.Compression;
using Sandbox86.IntegrationTests.Infrastructure;
using Sandbox86.Util;
using Xunit.Abstractions;

namespace Sandbox86.IntegrationTests.Packaging;

/// <summary>
/// What a user who never clones this repository gets: the packed .NET tool installs and runs a VM from
/// any directory, and a C# project referencing the packed library package starts one too — both with
/// SANDBOX86_ROOT unset, from the runtime files the packages carry. Slow (packs, restores, builds).
/// </summary>
public sealed class PackageInstallTests : IClassFixture<PackedFeedFixture>
{
    // The v86 files worker.mjs needs at run time (package.json "main" and the wasm), its licence, the worker,
    // the prebuilt agent, and the web page `prepare` writes with the pinned xterm.js files it uses: nothing of
    // the checkout beyond these.
    private static readonly string[] RuntimeContent =
    [
        "agent/sandbox86-agent",
        "web/index.html",
        "web/node_modules/@xterm/addon-fit/LICENSE",
        "web/node_modules/@xterm/addon-fit/lib/addon-fit.mjs",
        "web/node_modules/@xterm/xterm/LICENSE",
        "web/node_modules/@xterm/xterm/css/xterm.css",
        "web/node_modules/@xterm/xterm/lib/xterm.mjs",
        "web/sandbox86.css",
        "web/sandbox86.js",
        "web/ui/index.html",
        "web/ui/ui.css",
        "web/ui/ui.js",
        "worker/node_modules/v86/LICENSE",
        "worker/node_modules/v86/build/libv86.mjs",
        "worker/node_modules/v86/build/v86.wasm",
        "worker/node_modules/v86/package.json",
        "worker/worker.mjs",
    ];

    private readonly PackedFeedFixture _feed;
    private readonly ITestOutputHelper _output;

    public PackageInstallTests(PackedFeedFixture feed, ITestOutputHelper output)
    {
        _feed = feed;
        _output = output;
    }

    [Fact]
    public async Task Packed_tool_installs_and_runs_echo_hi_outside_any_checkout()
    {
        DefaultImage.Open();
        var tools = Path.Combine(_feed.Root.FullName, "tools");
        var elsewhere = Directory.CreateDirectory(Path.Combine(_feed.Root.FullName, "elsewhere")).FullName;
        AssertContent(Path.Combine(_feed.Feed, $"Sandbox86.Cli.{_feed.Version}.nupkg"), "tools/net10.0/any/sandbox86/");

        var install = await ChildProcess.RunAsync("dotnet",
            ["tool", "install", "--tool-path", tools, "--add-source", _feed.Feed, "Sandbox86.Cli", "--version", _feed.Version],
            elsewhere, _feed.Environment, TimeSpan.FromMinutes(5));
        Assert.True(install.ExitCode == 0, install.Describe("dotnet tool install"));
        var sandbox86 = Path.Combine(tools, "sandbox86");
        Assert.True(File.Exists(sandbox86), $"no {sandbox86} after install");

        var help = await ChildProcess.RunAsync(sandbox86, ["--help"], elsewhere, _feed.Environment, TimeSpan.FromMinutes(1));
        Assert.Contains("sandbox86 [command] [options]", help.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Sandbox86.Cli", help.Stdout, StringComparison.Ordinal);

        var run = await ChildProcess.RunAsync(sandbox86, ["run", "--", "echo", "hi"], elsewhere, _feed.Environment, TimeSpan.FromMinutes(5));
        Assert.True(run.ExitCode == 0, run.Describe("sandbox86 run -- echo hi"));
        Assert.Equal("hi\n", run.Stdout);

        // The agent the tool carries is the one this checkout builds (test.sh rebuilt the default image with
        // it): the image builder found it in the tool's content, not in a checkout.
        var stale = await ChildProcess.RunAsync(sandbox86, ["image", "build", "--if-stale"], elsewhere, _feed.Environment, TimeSpan.FromMinutes(2));
        Assert.True(stale.ExitCode == 0, stale.Describe("sandbox86 image build --if-stale"));
        Assert.Contains("is up to date", stale.Stderr, StringComparison.Ordinal);

        _output.WriteLine($"pack tool {_feed.ToolPackTime.TotalSeconds:0.0}s, tool install {install.Elapsed.TotalSeconds:0.0}s, " +
            $"--help {help.Elapsed.TotalSeconds:0.00}s, run -- echo hi {run.Elapsed.TotalSeconds:0.00}s");
    }

    [Fact]
    public async Task Csharp_project_referencing_the_packed_library_starts_a_machine_and_runs_a_command()
    {
        DefaultImage.Open();
        AssertContent(Path.Combine(_feed.Feed, $"Sandbox86.{_feed.Version}.nupkg"), "assets/sandbox86/");
        using (var package = ZipFile.OpenRead(Path.Combine(_feed.Feed, $"Sandbox86.{_feed.Version}.nupkg")))
        {
            Assert.Contains(package.Entries, e => e.FullName == "lib/net10.0/Sandbox86.xml");
        }

        // A copy of tests/Sandbox86.PackageTests outside the repository, restoring only from the temporary
        // feed plus the sources this machine already lists (inherited from the user's NuGet config).
        var consumer = Directory.CreateDirectory(Path.Combine(_feed.Root.FullName, "consumer")).FullName;
        var source = Path.Combine(SandboxPaths.RepoRoot, "tests", "Sandbox86.PackageTests");
        foreach (var name in new[] { "Sandbox86.PackageTests.csproj", "Program.cs", "Directory.Build.props", "Directory.Packages.props" })
        {
            File.Copy(Path.Combine(source, name), Path.Combine(consumer, name));
        }

        var machineCache = System.Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } cache
            ? cache
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(consumer, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="sandbox86-test-feed" value="{_feed.Feed}" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="machine" value="{machineCache}" />
              </fallbackPackageFolders>
            </configuration>
            """);

        var build = await ChildProcess.RunAsync("dotnet",
            ["build", consumer, "-c", "Release", $"-p:Sandbox86Version={_feed.Version}", "-nologo", "-v", "q", "-nodeReuse:false", "-p:UseSharedCompilation=false"],
            consumer, _feed.Environment, TimeSpan.FromMinutes(10));
        Assert.True(build.ExitCode == 0, build.Describe("dotnet build (consumer)"));

        var output = Path.Combine(consumer, "bin", "Release", "net10.0");
        var elsewhere = Directory.CreateDirectory(Path.Combine(_feed.Root.FullName, "run-here")).FullName;
        var run = await ChildProcess.RunAsync("dotnet", [Path.Combine(output, "Sandbox86.PackageTests.dll")], elsewhere, _feed.Environment, TimeSpan.FromMinutes(5));
        Assert.True(run.ExitCode == 0, run.Describe("consumer"));
        Assert.Equal("hello from i686\n", run.Stdout);
        Assert.Contains($"runtime assets: package content in {Path.Combine(output, "sandbox86")}", run.Stderr, StringComparison.Ordinal);

        _output.WriteLine($"pack library {_feed.LibraryPackTime.TotalSeconds:0.0}s, consumer build {build.Elapsed.TotalSeconds:0.0}s, " +
            $"consumer run {run.Elapsed.TotalSeconds:0.00}s");
    }

    // The package holds exactly the runtime files under prefix.
    private static void AssertContent(string nupkg, string prefix)
    {
        using var package = ZipFile.OpenRead(nupkg);
        var content = package.Entries.Where(e => e.FullName.StartsWith(prefix, StringComparison.Ordinal))
            .Select(e => e.FullName[prefix.Length..]).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(RuntimeContent, content);
    }
}
