using Sandbox86.Mounts;
using Sandbox86.Mounts.Host;

namespace Sandbox86.Tests.Mounts;

/// <summary>The server's mount roots: what a remote client may mount, and that no symlink below a root is followed.</summary>
public sealed class MountPolicyTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("sandbox86-policy-root-");
    private readonly DirectoryInfo _outside = Directory.CreateTempSubdirectory("sandbox86-policy-out-");

    public void Dispose()
    {
        _root.Delete(recursive: true);
        _outside.Delete(recursive: true);
    }

    [Fact]
    public void No_roots_refuses_everything()
    {
        var policy = new MountPolicy([]);
        Assert.Contains("--mount-root", Assert.Throws<MountDeniedException>(() => policy.Resolve(_root.FullName, "/w", false)).Message, StringComparison.Ordinal);
        Assert.Throws<MountDeniedException>(() => policy.ResolveVolume("x", "/w", false));
    }

    [Fact]
    public void A_directory_under_a_root_is_confined_to_it_and_its_name_resolves_as_a_volume()
    {
        var ws = Directory.CreateDirectory(Path.Combine(_root.FullName, "a", "ws"));
        var policy = new MountPolicy([_outside.FullName, _root.FullName + "/"]);
        var spec = policy.Resolve(ws.FullName + "/", "/workspace", readOnly: true);
        Assert.Equal(ws.FullName, spec.HostPath);
        Assert.Equal(_root.FullName, spec.Root);
        Assert.True(spec.ReadOnly);
        Assert.Equal(_root.FullName, policy.Resolve(_root.FullName, "/r", false).Root);
        var volume = policy.ResolveVolume("a/ws", "/workspace", false);
        Assert.Equal(ws.FullName, volume.HostPath);
        Assert.Equal(_root.FullName, volume.Root);
    }

    [Fact]
    public void Outside_dot_dot_symlinks_and_files_are_refused()
    {
        Directory.CreateDirectory(Path.Combine(_root.FullName, "d"));
        File.WriteAllText(Path.Combine(_root.FullName, "file"), "x");
        Directory.CreateSymbolicLink(Path.Combine(_root.FullName, "out"), _outside.FullName);
        Directory.CreateSymbolicLink(Path.Combine(_root.FullName, "in"), Path.Combine(_root.FullName, "d"));
        var policy = new MountPolicy([_root.FullName]);
        Assert.Throws<MountDeniedException>(() => policy.Resolve(_outside.FullName, "/w", false));
        Assert.Throws<MountDeniedException>(() => policy.Resolve(_root.FullName + "x", "/w", false));
        Assert.Throws<MountDeniedException>(() => policy.Resolve(_root.FullName + "/d/../../" + _outside.Name, "/w", false));
        Assert.Contains("symlink", Assert.Throws<MountDeniedException>(() => policy.Resolve(Path.Combine(_root.FullName, "out"), "/w", false)).Message, StringComparison.Ordinal);
        Assert.Contains("symlink", Assert.Throws<MountDeniedException>(() => policy.Resolve(Path.Combine(_root.FullName, "in"), "/w", false)).Message, StringComparison.Ordinal);
        Assert.Contains("not a directory", Assert.Throws<MountDeniedException>(() => policy.Resolve(Path.Combine(_root.FullName, "file"), "/w", false)).Message, StringComparison.Ordinal);
        Assert.Throws<MountDeniedException>(() => policy.ResolveVolume("../" + _outside.Name, "/w", false));
        Assert.Throws<MountDeniedException>(() => policy.ResolveVolume("out", "/w", false));
        Assert.Throws<MountDeniedException>(() => policy.Resolve(Path.Combine(_root.FullName, "d"), "relative", false));
    }

    [Fact]
    public void A_directory_swapped_for_a_symlink_after_the_check_is_refused_at_attach()
    {
        var ws = Directory.CreateDirectory(Path.Combine(_root.FullName, "ws"));
        var spec = new MountPolicy([_root.FullName]).Resolve(ws.FullName, "/workspace", false);
        ws.Delete();
        Directory.CreateSymbolicLink(ws.FullName, _outside.FullName);
        Assert.True(Directory.Exists(spec.HostPath)); // a string check would follow it
        var fd = spec.OpenHostDirectory();
        Assert.True(fd < 0, "the swapped-in symlink was followed");
        var unconfined = spec with { Root = null };
        var followed = unconfined.OpenHostDirectory();
        Assert.True(followed >= 0);
        HostFs.Close(followed);
    }
}
