using Sandbox86.Images.Build;

namespace Sandbox86.Tests.Images.Build;

public sealed class AptFailureTests
{
    [Fact]
    public void An_unknown_package_is_named_with_apts_reason()
    {
        const string output = "Reading package lists...\nBuilding dependency tree...\nReading state information...\nE: Unable to locate package sandbox86-no-such-package\n";
        var message = AptFailure.Describe(["sudo", "sandbox86-no-such-package"], output, 100);
        Assert.Equal("cannot install Debian package sandbox86-no-such-package: Unable to locate package sandbox86-no-such-package", message);
    }

    [Fact]
    public void A_dpkg_configure_failure_names_the_package_and_dpkgs_reason_not_the_generic_sub_process_line()
    {
        const string output = """
            Setting up node-foo (1.0-1) ...
            dpkg: dependency problems prevent configuration of npm:
             npm depends on node-gyp; however:
            dpkg: error processing package npm (--configure):
             dependency problems - leaving unconfigured
            Errors were encountered while processing:
             npm
            E: Sub-process /usr/bin/dpkg returned an error code (1)
            """;
        var message = AptFailure.Describe(["nodejs", "npm"], output, 100);
        Assert.StartsWith("cannot install Debian package npm: ", message, StringComparison.Ordinal);
        Assert.Contains("dpkg: npm: dependency problems - leaving unconfigured", message, StringComparison.Ordinal);
        Assert.DoesNotContain("Sub-process", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unmet_dependencies_name_every_package_apt_lists()
    {
        const string output = """
            The following packages have unmet dependencies:
             foo : Depends: libbar (>= 2) but it is not going to be installed
             baz:i386 : PreDepends: libqux but it is not installable
            E: Unable to correct problems, you have held broken packages.
            """;
        var message = AptFailure.Describe(["foo", "baz"], output, 100);
        Assert.StartsWith("cannot install Debian packages foo, baz: ", message, StringComparison.Ordinal);
        Assert.Contains("foo : Depends: libbar (>= 2) but it is not going to be installed", message, StringComparison.Ordinal);
        Assert.Contains("held broken packages", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Output_without_a_recognisable_error_falls_back_to_the_requested_packages_exit_code_and_tail()
    {
        var message = AptFailure.Describe(["curl"], "something odd\nmore odd\n", 137);
        Assert.Equal("cannot install Debian package curl: apt-get exited with 137: something odd | more odd", message);
    }
}
