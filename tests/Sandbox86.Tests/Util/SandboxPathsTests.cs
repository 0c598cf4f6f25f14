using Sandbox86.Util;

namespace Sandbox86.Tests.Util;

public sealed class SandboxPathsTests
{
    [Fact]
    public void Images_and_temp_live_under_home_so_renames_are_atomic()
    {
        Assert.StartsWith(SandboxPaths.Home, SandboxPaths.Images, StringComparison.Ordinal);
        Assert.StartsWith(SandboxPaths.Home, SandboxPaths.Temp, StringComparison.Ordinal);
    }
}
