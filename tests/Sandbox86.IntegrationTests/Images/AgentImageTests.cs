using Sandbox86.Images;
using Sandbox86.Images.Build;
using Sandbox86.Images.Store;
using Sandbox86.IntegrationTests.Infrastructure;

namespace Sandbox86.IntegrationTests.Images;

/// <summary>
/// What agent harnesses and E2B's SDKs expect of an image: bash, the account <c>user</c> (1000) with
/// passwordless sudo, a login shell with a sane environment, and extra Debian packages installed by
/// apt's resolver with every maintainer script run.
/// </summary>
public sealed class AgentImageTests
{
    [Fact]
    public async Task The_default_image_has_bash_and_the_user_account_1000_with_passwordless_sudo()
    {
        DefaultImage.Open();
        var result = await CliRunner.RunAsync(["run", "-u", "user", "--", "/bin/sh", "-c",
            "id -u; id -g; echo $HOME; stat -c '%u:%g' /home/user; grep '^user:' /etc/passwd | cut -d: -f7; sudo -n id -u; test -x /bin/bash && echo bash"]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal("1000\n1000\n/home/user\n1000:1000\n/bin/bash\n0\nbash\n", result.Stdout);
        Assert.DoesNotContain("unable to resolve host", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_login_bash_as_user_has_the_users_path_and_home_and_root_keeps_roots()
    {
        DefaultImage.Open();
        var user = await CliRunner.RunAsync(["run", "-u", "user", "--", "/bin/bash", "-l", "-c", "echo \"$PATH|$HOME|$USER|$(cd && pwd)\""]);
        Assert.True(user.ExitCode == 0, user.Stderr);
        Assert.Equal("/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games|/home/user|user|/home/user\n", user.Stdout);
        Assert.DoesNotContain("Permission denied", user.Stderr, StringComparison.Ordinal);

        var root = await CliRunner.RunAsync(["run", "--", "/bin/bash", "-l", "-c", "echo \"$PATH|$HOME\""]);
        Assert.True(root.ExitCode == 0, root.Stderr);
        Assert.Equal("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|/root\n", root.Stdout);
    }

    [Fact]
    public async Task Extra_packages_are_installed_by_apt_with_their_configure_steps_run()
    {
        DefaultImage.Open();
        var name = "it-apt-" + Guid.NewGuid().ToString("N")[..8];
        var store = ImageStore.Default;
        try
        {
            // ca-certificates' configure step needs openssl (a dependency) configured first: its
            // bundle only exists when apt ordered and ran the maintainer scripts. The bootstrap tree
            // is the shared cached one, so this costs an apt run and an index, not a debootstrap.
            await new ImageBuilder(store).BuildAsync(new ImageBuildOptions
            {
                Name = name,
                Packages = ["ca-certificates", "curl"],
                MemoryMb = 128,
            }, CancellationToken.None);
            var result = await CliRunner.RunAsync(["run", "--image", name, "--memory", "128", "--", "/bin/sh", "-c",
                "dpkg --audit; echo audit=$?; test -s /etc/ssl/certs/ca-certificates.crt && echo bundle; curl --version | head -c 5; echo; dpkg-query -W -f '${db:Status-Abbrev}\\n' curl ca-certificates openssl"],
                timeout: TimeSpan.FromMinutes(8));
            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Equal("audit=0\nbundle\ncurl \nii \nii \nii \n", result.Stdout);
        }
        finally
        {
            if (store.Exists(name))
            {
                store.Remove(name);
            }
        }
    }

    [Fact]
    public async Task A_package_that_does_not_exist_fails_the_build_with_a_message_naming_it()
    {
        DefaultImage.Open();
        var name = "it-apt-bad-" + Guid.NewGuid().ToString("N")[..8];
        var store = ImageStore.Default;
        var e = await Assert.ThrowsAsync<ImageException>(() => new ImageBuilder(store).BuildAsync(new ImageBuildOptions
        {
            Name = name,
            Packages = ["curl", "sandbox86-no-such-package"],
        }, CancellationToken.None));
        Assert.Contains("sandbox86-no-such-package", e.Message, StringComparison.Ordinal);
        Assert.Contains("Unable to locate package", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("curl", e.Message, StringComparison.Ordinal);
        Assert.False(store.Exists(name));
    }
}
