using Sandbox86.Images;
using Sandbox86.Images.Fs;

namespace Sandbox86.Tests.Images.Fs;

public sealed class FsTreeTests
{
    [Fact]
    public void Add_creates_parents_and_lookup_does_not_follow_links()
    {
        var tree = new FsTree();
        tree.AddFile("/usr/bin/dash", "aaaaaaaa.bin", 10, 0x1ED, 0, 0, 1);
        tree.AddSymlink("/bin", "usr/bin", 0, 0, 1);
        tree.AddSymlink("/usr/bin/sh", "dash", 0, 0, 1);

        var usr = tree.Lookup("/usr");
        Assert.NotNull(usr);
        Assert.Equal(FsMode.Directory | 0x1ED, usr.Mode);
        Assert.Equal(FsNodeKind.Symlink, tree.Lookup("/bin")!.Kind);
        Assert.Null(tree.Lookup("/bin/sh"));
        Assert.Equal("aaaaaaaa.bin", tree.Resolve("/bin/sh")!.ChunkName);
        Assert.Equal(1, tree.FileCount);
        Assert.Equal(2, tree.SymlinkCount);
        Assert.Equal(2, tree.DirectoryCount);
        Assert.Equal(10, tree.TotalFileBytes);
    }

    [Fact]
    public void Resolve_handles_dotdot_and_absolute_targets_and_detects_loops()
    {
        var tree = new FsTree();
        tree.AddFile("/opt/real", "bbbbbbbb.bin", 1, 0x1A4, 0, 0, 1);
        tree.AddSymlink("/a/b/up", "../../opt", 0, 0, 1);
        tree.AddSymlink("/abs", "/a/b/up/real", 0, 0, 1);
        Assert.Equal("real", tree.Resolve("/abs")!.Name);
        Assert.Null(tree.Resolve("/a/missing"));

        tree.AddSymlink("/x", "y", 0, 0, 1);
        tree.AddSymlink("/y", "/x", 0, 0, 1);
        var e = Assert.Throws<ImageException>(() => tree.Resolve("/x"));
        Assert.Contains("symbolic links", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Readding_directory_keeps_children_and_file_replaces_directory()
    {
        var tree = new FsTree();
        tree.AddFile("/etc/passwd", "cccccccc.bin", 3, 0x1A4, 0, 0, 1);
        tree.AddDirectory("/etc", 0x1C0, 5, 6, 99);
        var etc = tree.Lookup("/etc")!;
        Assert.Equal(1, etc.ChildCount);
        Assert.Equal(0x1C0u, etc.Permissions);
        Assert.Equal(5, etc.Uid);

        tree.AddFile("/etc", "dddddddd.bin", 1, 0x1A4, 0, 0, 1);
        Assert.Equal(FsNodeKind.File, tree.Lookup("/etc")!.Kind);
        Assert.Null(tree.Lookup("/etc/passwd"));
    }

    [Fact]
    public void Remove_is_recursive_and_walk_is_sorted_ordinal()
    {
        var tree = new FsTree();
        tree.AddFile("/d/b", "11111111.bin", 1, 0x1A4, 0, 0, 1);
        tree.AddFile("/d/B", "22222222.bin", 1, 0x1A4, 0, 0, 1);
        tree.AddFile("/d/a/x", "33333333.bin", 1, 0x1A4, 0, 0, 1);
        Assert.Equal(["/", "/d", "/d/B", "/d/a", "/d/a/x", "/d/b"], tree.Walk().Select(e => e.Path));
        Assert.True(tree.Remove("/d/a"));
        Assert.False(tree.Remove("/d/a"));
        Assert.Null(tree.Lookup("/d/a/x"));
    }

    [Fact]
    public void Paths_escaping_root_are_rejected_and_file_parent_is_an_error()
    {
        var tree = new FsTree();
        Assert.Throws<ImageException>(() => tree.AddFile("/../evil", "44444444.bin", 1, 0x1A4, 0, 0, 1));
        tree.AddFile("/f", "55555555.bin", 1, 0x1A4, 0, 0, 1);
        var e = Assert.Throws<ImageException>(() => tree.AddFile("/f/g", "66666666.bin", 1, 0x1A4, 0, 0, 1));
        Assert.Contains("/f", e.Message, StringComparison.Ordinal);
    }
}
