using Sandbox86.Runtime;
using Sandbox86.Tests.Images;

namespace Sandbox86.Tests.Runtime;

public sealed class HostPrerequisitesTests
{
    [Fact]
    public void The_install_line_is_the_launchers_apt_get_line_for_what_is_missing()
    {
        var check = new HostCheck { Problems = ["a", "b", "c"], Packages = ["seabios", "debootstrap"], NeedsI386 = true };

        Assert.Equal("dpkg --add-architecture i386 && apt-get update && apt-get install -y seabios debootstrap", check.InstallCommand);
        Assert.Contains("As root run: dpkg --add-architecture i386 && apt-get update && apt-get install -y seabios debootstrap", check.Describe(), StringComparison.Ordinal);
        Assert.False(check.IsSatisfied);
    }

    [Fact]
    public void Without_i386_or_packages_missing_there_is_no_install_line()
    {
        Assert.Equal("apt-get update && apt-get install -y nodejs", new HostCheck { Problems = ["n"], Packages = ["nodejs"] }.InstallCommand);
        Assert.Null(new HostCheck { Problems = [], Packages = [] }.InstallCommand);
        Assert.True(new HostCheck { Problems = [], Packages = [] }.IsSatisfied);
    }

    [Fact]
    public async Task A_missing_node_names_the_nodejs_package()
    {
        using var dir = new TempDir();
        var assets = RuntimeAssets.FromContentDirectory(dir.Path) with { NodeExecutable = dir.Combine("no-such-node") };

        var check = await HostPrerequisites.CheckAsync(HostFeatures.Machines, assets, CancellationToken.None);

        Assert.Contains("nodejs", check.Packages);
        Assert.Contains(check.Problems, p => p.Contains("no-such-node", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_node_older_than_20_10_is_reported_as_not_fixable_by_apt()
    {
        using var dir = new TempDir();
        var node = dir.Combine("node");
        File.WriteAllText(node, "#!/bin/sh\necho v18.19.0\n");
        File.SetUnixFileMode(node, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var assets = RuntimeAssets.FromContentDirectory(dir.Path) with { NodeExecutable = node };

        var check = await HostPrerequisites.CheckAsync(HostFeatures.Machines, assets, CancellationToken.None);

        Assert.Contains(check.Unfixable, p => p.Contains("18.19.0", StringComparison.Ordinal) && p.Contains("too old", StringComparison.Ordinal));
        Assert.DoesNotContain("nodejs", check.Packages);
    }

    [Fact]
    public async Task A_new_enough_node_is_not_a_problem()
    {
        using var dir = new TempDir();
        var node = dir.Combine("node");
        File.WriteAllText(node, "#!/bin/sh\necho v22.1.0\n");
        File.SetUnixFileMode(node, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var assets = RuntimeAssets.FromContentDirectory(dir.Path) with { NodeExecutable = node };

        var check = await HostPrerequisites.CheckAsync(HostFeatures.Machines, assets, CancellationToken.None);

        Assert.DoesNotContain(check.Problems, p => p.Contains("Node.js", StringComparison.Ordinal));
    }
}
