namespace Sandbox86.Images.Build;

/// <summary>
/// A Debian tree prepared for running its own tools (apt, dpkg, useradd): /proc and /dev mounted,
/// the host's resolver for downloads, and a <c>policy-rc.d</c> that keeps maintainer scripts from
/// starting daemons. Disposing undoes all three and leaves the guest's resolver in place.
/// </summary>
internal sealed class Chroot : IAsyncDisposable
{
    /// <summary>What a maintainer script may see: no host PATH, HOME or locale leaks into the tree.</summary>
    private static readonly string[] Environment =
    [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LC_ALL=C",
        "DEBIAN_FRONTEND=noninteractive", "DEBCONF_NONINTERACTIVE_SEEN=true",
    ];

    /// <summary>The resolver the network stack serves the guest (RootfsFixups writes the same when none exists).</summary>
    internal const string GuestResolvConf = "nameserver 10.0.2.3\n";

    private readonly List<string> _mounts = [];
    private bool _disposed;

    private Chroot(string root)
    {
        Root = root;
    }

    public string Root { get; }

    public static async Task<Chroot> EnterAsync(string root, CancellationToken cancellationToken)
    {
        var chroot = new Chroot(root);
        try
        {
            var policy = Path.Combine(root, "usr/sbin/policy-rc.d");
            File.WriteAllText(policy, "#!/bin/sh\n# sandbox86 image build: no daemons\nexit 101\n");
            File.SetUnixFileMode(policy, (UnixFileMode)0x1ED);
            var resolv = Path.Combine(root, "etc/resolv.conf");
            File.Delete(resolv);
            File.Copy("/etc/resolv.conf", resolv);
            await chroot.MountAsync(["-t", "proc", "proc"], "proc", cancellationToken);
            await chroot.MountAsync(["--bind", "/dev"], "dev", cancellationToken);
            return chroot;
        }
        catch
        {
            await chroot.DisposeAsync();
            throw;
        }
    }

    public Task<string> RunAsync(IEnumerable<string> command, CancellationToken cancellationToken, Action<string>? onLine = null) =>
        HostCommand.RunAsync("chroot", [Root, "/usr/bin/env", "-i", .. Environment, .. command], null, cancellationToken, onLine);

    public Task<HostCommandResult> RunCapturedAsync(IEnumerable<string> command, CancellationToken cancellationToken, Action<string>? onLine = null) =>
        HostCommand.RunCapturedAsync("chroot", [Root, "/usr/bin/env", "-i", .. Environment, .. command], null, cancellationToken, onLine);

    private async Task MountAsync(string[] args, string mountPoint, CancellationToken cancellationToken)
    {
        var target = Path.Combine(Root, mountPoint);
        Directory.CreateDirectory(target);
        await HostCommand.RunAsync("mount", [.. args, target], null, cancellationToken);
        _mounts.Add(target);
    }

    /// <summary>
    /// Whether anything is still mounted at or below <paramref name="path"/>: such a tree must never be
    /// deleted recursively (a bind of /dev would take the host's device nodes with it).
    /// </summary>
    public static bool HasMountsUnder(string path)
    {
        var prefix = Path.GetFullPath(path).TrimEnd('/');
        try
        {
            // /proc/self/mounts escapes blanks in paths as \040; ours never contain any.
            return File.ReadLines("/proc/self/mounts")
                .Select(line => line.Split(' '))
                .Any(f => f.Length > 1 && (f[1] == prefix || f[1].StartsWith(prefix + "/", StringComparison.Ordinal)));
        }
        catch (IOException)
        {
            return true; // cannot tell: assume the worst
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        // Unmount even when the build was cancelled: a mount left behind would pin the staging tree
        // (and a later delete of it would walk into the host's /dev).
        for (var i = _mounts.Count - 1; i >= 0; i--)
        {
            var result = await HostCommand.RunCapturedAsync("umount", [_mounts[i]], null, CancellationToken.None);
            if (result.ExitCode != 0)
            {
                await HostCommand.RunCapturedAsync("umount", ["--lazy", _mounts[i]], null, CancellationToken.None);
            }
        }

        File.Delete(Path.Combine(Root, "usr/sbin/policy-rc.d"));
        var resolv = Path.Combine(Root, "etc/resolv.conf");
        File.Delete(resolv);
        File.WriteAllText(resolv, GuestResolvConf);
    }
}
