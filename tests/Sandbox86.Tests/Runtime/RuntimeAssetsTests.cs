using Sandbox86.Images;
using Sandbox86.Images.Build;
using Sandbox86.Runtime;
using Sandbox86.Tests.Images;

namespace Sandbox86.Tests.Runtime;

public sealed class RuntimeAssetsTests
{
    private static void Touch(string path, string text = "x")
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private static string MakeCheckout(TempDir dir)
    {
        var root = dir.Combine("checkout");
        Touch(Path.Combine(root, "worker", "worker.mjs"));
        Touch(Path.Combine(root, "agent", "build.sh"));
        return root;
    }

    [Fact]
    public void Package_content_wins_over_a_checkout_even_when_SANDBOX86_ROOT_names_one()
    {
        using var dir = new TempDir();
        var checkout = MakeCheckout(dir);
        var content = dir.Combine("app", RuntimeAssets.ContentDirectoryName);
        Touch(Path.Combine(content, "worker", "worker.mjs"));

        var assets = RuntimeAssets.Discover([dir.Combine("nothing-here"), content], checkout, Path.Combine(checkout, "src"));

        Assert.Equal(Path.Combine(content, "worker", "worker.mjs"), assets.WorkerScript);
        Assert.Equal(Path.Combine(content, "agent", RuntimeAssets.AgentFileName), assets.AgentBinary);
        Assert.Null(assets.AgentSourceDirectory);
        Assert.StartsWith("package content in ", assets.Origin, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_package_content_a_checkout_is_found_by_SANDBOX86_ROOT_or_by_walking_up()
    {
        using var dir = new TempDir();
        var checkout = MakeCheckout(dir);
        var nowhere = dir.Combine("app", RuntimeAssets.ContentDirectoryName);

        var named = RuntimeAssets.Discover([nowhere], checkout, dir.Path);
        var walked = RuntimeAssets.Discover([nowhere], null, Path.Combine(checkout, "src", "bin"));

        foreach (var assets in new[] { named, walked })
        {
            Assert.Equal(Path.Combine(checkout, "worker", "worker.mjs"), assets.WorkerScript);
            Assert.Equal(Path.Combine(checkout, "agent", "out", RuntimeAssets.AgentFileName), assets.AgentBinary);
            Assert.Equal(Path.Combine(checkout, "agent"), assets.AgentSourceDirectory);
        }
    }

    [Fact]
    public void With_neither_the_assets_point_at_the_missing_package_content_not_the_current_directory()
    {
        using var dir = new TempDir();
        var expected = dir.Combine("app", RuntimeAssets.ContentDirectoryName);

        var assets = RuntimeAssets.Discover([expected], null, dir.Path);

        Assert.Equal(Path.Combine(expected, "worker", "worker.mjs"), assets.WorkerScript);
        Assert.Contains("missing", assets.Origin, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Image_builds_take_the_prebuilt_agent_from_package_content_without_compiling()
    {
        using var dir = new TempDir();
        var content = dir.Combine(RuntimeAssets.ContentDirectoryName);
        Touch(Path.Combine(content, "agent", RuntimeAssets.AgentFileName), "prebuilt agent");
        // A checkout's build.sh beside it would fail loudly if anything ran it.
        Touch(dir.Combine("agent", "build.sh"), "exit 99");

        var path = await GuestAgentBinary.ResolveAsync(RuntimeAssets.FromContentDirectory(content), CancellationToken.None);

        Assert.Equal(Path.Combine(content, "agent", RuntimeAssets.AgentFileName), path);
        Assert.Equal("prebuilt agent", await File.ReadAllTextAsync(path));
    }

    [Fact]
    public async Task A_missing_prebuilt_agent_is_an_image_error_naming_where_it_was_looked_for()
    {
        using var dir = new TempDir();
        var assets = RuntimeAssets.FromContentDirectory(dir.Path);

        var error = await Assert.ThrowsAsync<ImageException>(() => GuestAgentBinary.ResolveAsync(assets, CancellationToken.None));

        Assert.Contains(assets.AgentBinary, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task In_a_checkout_the_agent_comes_from_build_sh()
    {
        using var dir = new TempDir();
        var checkout = dir.Combine("checkout");
        var built = Path.Combine(checkout, "agent", "out", RuntimeAssets.AgentFileName);
        // A stand-in build.sh: proves the development path runs the checkout's script and takes its output.
        Touch(Path.Combine(checkout, "agent", "build.sh"), $"mkdir -p '{Path.GetDirectoryName(built)}' && echo built > '{built}'\n");

        var path = await GuestAgentBinary.ResolveAsync(RuntimeAssets.FromCheckout(checkout), CancellationToken.None);

        Assert.Equal(built, path);
        Assert.Equal("built\n", await File.ReadAllTextAsync(path));
    }
}
