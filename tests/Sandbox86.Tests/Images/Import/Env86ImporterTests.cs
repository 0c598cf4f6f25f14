using System.Text;
using Sandbox86.Images;
using Sandbox86.Images.Fs;
using Sandbox86.Images.Import;

namespace Sandbox86.Tests.Images.Import;

public sealed class Env86ImporterTests
{
    /// <summary>Lays out an env86 image the way its "create" command does: fs.json, fs/, image.json.</summary>
    private static string MakeEnv86Image(TempDir dir)
    {
        var image = dir.Combine("env86img");
        var source = new ChunkStore(Path.Combine(image, "fs"), compress: true, zstdLevel: 1);
        var tree = new FsTree();
        var big = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("busybox ", 1000)));
        var (bigName, bigSize) = source.Add(big);
        var (smallName, smallSize) = source.Add("hello\n"u8);
        tree.AddFile("/bin/busybox", bigName, bigSize, 0x1ED, 0, 0, 100);
        tree.AddFile("/etc/motd", smallName, smallSize, 0x1A4, 0, 0, 101);
        tree.AddSymlink("/bin/sh", "busybox", 0, 0, 102);
        FsIndexWriter.WriteFile(tree, Path.Combine(image, "fs.json"));
        File.WriteAllBytes(Path.Combine(image, "vmlinuz"), [1, 2, 3]);
        File.WriteAllText(Path.Combine(image, "image.json"), """
            {"cmdline":"rw root=host9p rootfstype=9p console=ttyS0","bzimage":{"url":"/image/vmlinuz"},"memory_size":268435456}
            """);
        File.WriteAllBytes(Path.Combine(image, "initial.state.zst"), Zstd.Compress([0, 0, 0], 1));
        return image;
    }

    [Fact]
    public void Reuses_index_copies_chunks_and_reports_boot_info()
    {
        using var dir = new TempDir();
        var image = MakeEnv86Image(dir);
        var store = new ChunkStore(dir.Combine("ours"), compress: false);
        var result = Env86Importer.Import(image, store);

        var busybox = result.Tree.Lookup("/bin/busybox")!;
        Assert.EndsWith(".bin", busybox.ChunkName, StringComparison.Ordinal);
        using (var content = store.OpenRead(busybox.ChunkName!))
        {
            Assert.StartsWith("busybox busybox", new StreamReader(content).ReadToEnd(), StringComparison.Ordinal);
        }

        Assert.Equal("busybox", result.Tree.Lookup("/bin/sh")!.LinkTarget);
        Assert.Equal(101, result.Tree.Lookup("/etc/motd")!.MtimeSeconds);
        Assert.Equal(2, store.Count);
        Assert.Equal("rw root=host9p rootfstype=9p console=ttyS0", result.Info.Cmdline);
        Assert.Equal(Path.Combine(image, "vmlinuz"), result.Info.KernelPath);
        Assert.Null(result.Info.InitrdPath);
        Assert.Equal(268435456, result.Info.MemorySize);
        Assert.Equal(Path.Combine(image, "initial.state.zst"), result.Info.InitialStatePath);
    }

    [Fact]
    public void Missing_chunk_or_index_is_an_image_exception()
    {
        using var dir = new TempDir();
        var image = MakeEnv86Image(dir);
        var store = new ChunkStore(dir.Combine("ours"), compress: false);
        foreach (var chunk in Directory.GetFiles(Path.Combine(image, "fs")))
        {
            File.Delete(chunk);
        }

        Assert.Contains("missing chunk", Assert.Throws<ImageException>(() => Env86Importer.Import(image, store)).Message, StringComparison.Ordinal);
        File.Delete(Path.Combine(image, "fs.json"));
        Assert.Contains("fs.json", Assert.Throws<ImageException>(() => Env86Importer.Import(image, store)).Message, StringComparison.Ordinal);
    }
}
