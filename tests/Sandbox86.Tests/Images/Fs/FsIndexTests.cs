using System.Text;
using Sandbox86.Images;
using Sandbox86.Images.Fs;

namespace Sandbox86.Tests.Images.Fs;

public sealed class FsIndexTests
{
    private static string ToJson(FsTree tree)
    {
        using var output = new MemoryStream();
        FsIndexWriter.Write(tree, output);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    private static FsTree FromJson(string json) => FsIndexReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Golden_shape_matches_v86_version_3()
    {
        var tree = new FsTree();
        tree.AddDirectory("/etc", 0x1ED, 0, 0, 1700000000);
        tree.AddFile("/etc/hostname", "0123abcd.bin", 5, 0x1A4, 0, 0, 1700000001);
        tree.AddSymlink("/sh", "bin/dash", 0, 0, 1700000002);

        // Root is implicit; modes are full st_mode in decimal (16877 = 040755, 33188 = 0100644,
        // 41471 = 0120777); "size" sums every node (4096 + 5 + 8).
        Assert.Equal(
            """{"fsroot":[["etc",4096,1700000000,16877,0,0,[["hostname",5,1700000001,33188,0,0,"0123abcd.bin"]]],["sh",8,1700000002,41471,0,0,"bin/dash"]],"version":3,"size":4109}""",
            ToJson(tree));
    }

    [Fact]
    public void Round_trip_keeps_every_kind_and_metadata_and_sorts_children()
    {
        var tree = new FsTree();
        tree.AddFile("/usr/bin/sudo", "feedbeef.bin.zst", 232416, 0x9ED /* 04755 */, 0, 0, 1600000000);
        tree.AddDirectory("/tmp", 0x3FF /* 01777 */, 0, 0, 1600000001);
        tree.AddDirectory("/home/user", 0x1C0, 1000, 1000, 1600000002);
        tree.AddFile("/home/user/Zeta", "aaaaaaaa.bin", 1, 0x180, 1000, 1000, 1);
        tree.AddFile("/home/user/alpha", "bbbbbbbb.bin", 2, 0x5A4 /* 02644 */, 1000, 50, 2);
        tree.AddSymlink("/home/user/link", "../../usr/bin/sudo", 1000, 1000, 3);

        var back = FromJson(ToJson(tree));

        var before = tree.Walk().Select(e => (e.Path, e.Node.Kind, e.Node.Mode, e.Node.Uid, e.Node.Gid, e.Node.MtimeSeconds, e.Node.Size, e.Node.ChunkName, e.Node.LinkTarget)).ToList();
        var after = back.Walk().Select(e => (e.Path, e.Node.Kind, e.Node.Mode, e.Node.Uid, e.Node.Gid, e.Node.MtimeSeconds, e.Node.Size, e.Node.ChunkName, e.Node.LinkTarget)).ToList();
        Assert.Equal(before.Skip(1), after.Skip(1));
        Assert.Equal(0x89EDu, back.Lookup("/usr/bin/sudo")!.Mode);
        Assert.Equal(["Zeta", "alpha", "link"], back.Lookup("/home/user")!.Children.Select(c => c.Name));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{"fsroot":[],"version":2,"size":0}""")]
    [InlineData("""{"version":3}""")]
    [InlineData("""{"fsroot":[["x"]],"version":3}""")]
    [InlineData("""{"fsroot":[["x",1,2,33188,0,0]],"version":3}""")]
    [InlineData("""{"fsroot":[["x",1,2,33188,0,0,"../escape.bin"]],"version":3}""")]
    [InlineData("""{"fsroot":[["a/b",1,2,33188,0,0,"x.bin"]],"version":3}""")]
    [InlineData("""{"fsroot":[["x",1,2,16877,0,0,"notalist"]],"version":3}""")]
    [InlineData("""{"fsroot":[["x","big",2,33188,0,0,"x.bin"]],"version":3}""")]
    [InlineData("""{"fsroot":[["x",1,2,33188,0,0,"x.bin"],["x",1,2,33188,0,0,"x.bin"]],"version":3}""")]
    public void Bad_index_is_an_image_exception(string json)
    {
        Assert.Throws<ImageException>(() => FromJson(json));
    }

    [Fact]
    public void Deep_nesting_is_rejected_not_a_stack_overflow()
    {
        var sb = new StringBuilder("""{"fsroot":""");
        const int depth = 5000;
        for (var i = 0; i < depth; i++)
        {
            sb.Append("""[["d",0,0,16877,0,0,""");
        }

        sb.Append("[]");
        for (var i = 0; i < depth; i++)
        {
            sb.Append("]]");
        }

        sb.Append(""","version":3}""");
        Assert.Throws<ImageException>(() => FromJson(sb.ToString()));
    }
}
