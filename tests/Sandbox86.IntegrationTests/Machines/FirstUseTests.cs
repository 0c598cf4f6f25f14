using Sandbox86.IntegrationTests.Infrastructure;
using Sandbox86.Util;

namespace Sandbox86.IntegrationTests.Machines;

/// <summary>The README's first command on a home with no images: run builds the default image, then runs.</summary>
public sealed class FirstUseTests
{
    [Fact]
    public async Task Run_on_an_empty_home_builds_the_default_image_then_runs_the_command()
    {
        DefaultImage.Open();
        var home = Directory.CreateTempSubdirectory("sandbox86-home-");
        try
        {
            // Share the download/debootstrap cache so this costs an index build, not a debootstrap.
            Directory.CreateSymbolicLink(Path.Combine(home.FullName, "cache"), SandboxPaths.Cache);
            var result = await CliRunner.RunAsync(
                ["run", "--", "python3", "-c", "print('hello from the sandbox')"],
                timeout: TimeSpan.FromMinutes(6),
                environment: new Dictionary<string, string> { ["SANDBOX86_HOME"] = home.FullName });
            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Equal("hello from the sandbox\n", result.Stdout);
            Assert.Contains("building it now", result.Stderr, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(home.FullName, "images", "default", "image.json")));
        }
        finally
        {
            // Remove the link itself first: the shared cache behind it must survive.
            var link = new DirectoryInfo(Path.Combine(home.FullName, "cache"));
            if (link.LinkTarget is not null)
            {
                link.Delete();
            }

            home.Delete(recursive: true);
        }
    }
}
