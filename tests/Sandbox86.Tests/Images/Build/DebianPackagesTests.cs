using Sandbox86.Images;
using Sandbox86.Images.Build;

namespace Sandbox86.Tests.Images.Build;

public sealed class DebianPackagesTests
{
    [Theory]
    [InlineData("nodejs")]
    [InlineData("ca-certificates")]
    [InlineData("libstdc++6")]
    [InlineData("python3.11")]
    [InlineData("0ad")]
    public void Debian_package_names_are_accepted(string name) => Debootstrap.ValidatePackageName(name);

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("Nodejs")]
    [InlineData("-o=Dpkg::Options")]
    [InlineData("curl;reboot")]
    [InlineData("node js")]
    [InlineData("../etc")]
    public void Anything_else_is_rejected_before_it_reaches_apt(string name)
    {
        var e = Assert.Throws<ImageException>(() => Debootstrap.ValidatePackageName(name));
        Assert.Contains($"'{name}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_layer_always_carries_sudo_and_its_key_ignores_the_order_of_the_packages()
    {
        Assert.Equal(["sudo", "curl", "git"], AptLayer.PackagesFor(["git", "curl", "sudo"]));
        Assert.Equal(AptLayer.KeyFor("b", AptLayer.PackagesFor(["git", "curl"])), AptLayer.KeyFor("b", AptLayer.PackagesFor(["curl", "git"])));
        Assert.NotEqual(AptLayer.KeyFor("b", AptLayer.PackagesFor(["git"])), AptLayer.KeyFor("b", AptLayer.PackagesFor(["curl"])));
        Assert.NotEqual(AptLayer.KeyFor("b1", AptLayer.PackagesFor([])), AptLayer.KeyFor("b2", AptLayer.PackagesFor([])));
    }

    [Fact]
    public void The_well_known_images_are_the_default_and_base_with_the_agent_packages()
    {
        Assert.Empty(WellKnownImages.Find("default")!.Packages);
        var baseImage = WellKnownImages.Find("base")!;
        Assert.Equal("base", baseImage.Name);
        Assert.Equal(["nodejs", "npm", "git", "curl", "ca-certificates"], baseImage.Packages);
        Assert.Null(WellKnownImages.Find("my-image"));
    }
}
