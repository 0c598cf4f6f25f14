using System.Formats.Tar;
using System.Text;
using Sandbox86.Images;
using Sandbox86.Images.Fs;
using Sandbox86.Images.Import;

namespace Sandbox86.Tests.Images.Import;

public sealed class TarImporterTests
{
    private static byte[] RootfsTar() => TarFixtures.Build(w =>
    {
        w.Dir("./", (UnixFileMode)0x1ED);
        w.Dir("./usr/");
        w.Dir("./usr/bin/");
        w.File("./usr/bin/sudo", Encoding.ASCII.GetBytes("sudo binary"), (UnixFileMode)0x9ED);
        w.Dir("./home/user/", (UnixFileMode)0x1C0, 1000, 1000);
        w.File("./home/user/notes.txt", Encoding.ASCII.GetBytes("my notes"), (UnixFileMode)0x180, 1000, 1000);
        w.Symlink("./bin", "usr/bin");
        w.HardLink("./usr/bin/sudoedit", "./usr/bin/sudo");
        w.CharDevice("./dev/null", 1, 3);
        w.File("/etc/hostname", Encoding.ASCII.GetBytes("box\n"));
    });

    private static (ImportResult Result, ChunkStore Store) ImportBytes(TempDir dir, byte[] tar, string name = "rootfs.tar")
    {
        var path = dir.Combine(name);
        File.WriteAllBytes(path, tar);
        var store = new ChunkStore(dir.Combine("chunks"), compress: true);
        return (TarImporter.Import(path, store), store);
    }

    private static string Text(ChunkStore store, FsNode node)
    {
        using var stream = store.OpenRead(node.ChunkName!);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [Fact]
    public void Ownership_modes_setuid_and_symlinks_survive()
    {
        using var dir = new TempDir();
        var (result, store) = ImportBytes(dir, RootfsTar());
        var tree = result.Tree;

        var sudo = tree.Lookup("/usr/bin/sudo")!;
        Assert.Equal(FsMode.Regular | 0x9ED, sudo.Mode);
        Assert.Equal("sudo binary", Text(store, sudo));
        Assert.Equal(TarFixtures.Mtime.ToUnixTimeSeconds(), sudo.MtimeSeconds);

        var notes = tree.Lookup("/home/user/notes.txt")!;
        Assert.Equal((1000, 1000, 0x180u), (notes.Uid, notes.Gid, notes.Permissions));
        Assert.Equal((1000, 0x1C0u), (tree.Lookup("/home/user")!.Uid, tree.Lookup("/home/user")!.Permissions));

        var bin = tree.Lookup("/bin")!;
        Assert.Equal(FsNodeKind.Symlink, bin.Kind);
        Assert.Equal("usr/bin", bin.LinkTarget);
        Assert.Same(sudo, tree.Resolve("/bin/sudo"));

        // An absolute member name is taken relative to the image root.
        Assert.Equal("box\n", Text(store, tree.Lookup("/etc/hostname")!));
        Assert.Equal(4, result.Report.Files);
    }

    [Fact]
    public void Hard_link_becomes_copy_sharing_the_chunk()
    {
        using var dir = new TempDir();
        var (result, _) = ImportBytes(dir, RootfsTar());
        var sudo = result.Tree.Lookup("/usr/bin/sudo")!;
        var sudoedit = result.Tree.Lookup("/usr/bin/sudoedit")!;
        Assert.Equal(FsNodeKind.File, sudoedit.Kind);
        Assert.Equal(sudo.ChunkName, sudoedit.ChunkName);
        Assert.Equal(sudo.Size, sudoedit.Size);
        Assert.Equal(sudo.Mode, sudoedit.Mode);
        Assert.Equal(1, result.Report.HardLinksCopied);
    }

    [Fact]
    public void Device_node_is_skipped_with_a_warning()
    {
        using var dir = new TempDir();
        var (result, _) = ImportBytes(dir, RootfsTar());
        Assert.Null(result.Tree.Lookup("/dev/null"));
        Assert.Equal(1, result.Report.SkippedEntries);
        Assert.Contains(result.Report.Warnings, w => w.Contains("/dev/null", StringComparison.Ordinal) && w.Contains("device", StringComparison.Ordinal));
    }

    [Fact]
    public void Gzip_and_zstd_are_detected_by_magic_not_name()
    {
        using var dir = new TempDir();
        var tar = RootfsTar();
        var (gz, _) = ImportBytes(dir, TarFixtures.Gzip(tar), "looks-plain.tar");
        Assert.Equal(4, gz.Report.Files);
        var (zst, _) = ImportBytes(dir, Zstd.Compress(tar, 3), "rootfs.tar.gz");
        Assert.Equal(4, zst.Report.Files);
    }

    [Fact]
    public void Later_entries_replace_earlier_ones()
    {
        using var dir = new TempDir();
        var (result, store) = ImportBytes(dir, TarFixtures.Build(w =>
        {
            w.File("a", "old"u8.ToArray());
            w.File("a", "new"u8.ToArray());
        }));
        Assert.Equal("new", Text(store, result.Tree.Lookup("/a")!));
    }

    [Theory]
    [InlineData("../evil")]
    [InlineData("./a/../../evil")]
    [InlineData("/../../etc/passwd")]
    public void Dotdot_escape_is_rejected_naming_the_entry(string name)
    {
        using var dir = new TempDir();
        var tar = TarFixtures.Build(w => w.File(name, "x"u8.ToArray()));
        var e = Assert.Throws<ImageException>(() => ImportBytes(dir, tar));
        Assert.Contains(name, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hard_link_escaping_root_is_rejected()
    {
        using var dir = new TempDir();
        var tar = TarFixtures.Build(w => w.HardLink("x", "../../etc/shadow"));
        Assert.Throws<ImageException>(() => ImportBytes(dir, tar));
    }

    [Fact]
    public void Truncated_garbage_and_missing_tarballs_are_image_exceptions()
    {
        using var dir = new TempDir();
        var big = new byte[100_000];
        new Random(1).NextBytes(big);
        var tar = TarFixtures.Build(w =>
        {
            w.File("one", "1"u8.ToArray());
            w.File("big", big);
        });
        Assert.Throws<ImageException>(() => ImportBytes(dir, tar[..(tar.Length / 2)], "cut.tar"));
        Assert.Throws<ImageException>(() => ImportBytes(dir, TarFixtures.Gzip(tar)[..(tar.Length / 2)], "cut.tgz"));
        Assert.Throws<ImageException>(() => ImportBytes(dir, tar[..700], "cut-header.tar"));

        var garbage = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("this is not a tarball at all. ", 100)));
        Assert.Throws<ImageException>(() => ImportBytes(dir, garbage, "garbage.tar"));
        Assert.Throws<ImageException>(() => ImportBytes(dir, [0x1F, 0x8B, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "garbage.tgz"));

        var store = new ChunkStore(dir.Combine("chunks"), compress: false);
        Assert.Throws<ImageException>(() => TarImporter.Import(dir.Combine("missing.tar"), store));
    }

    [Fact]
    public void Excluded_paths_are_left_out()
    {
        using var dir = new TempDir();
        var path = dir.Combine("rootfs.tar");
        File.WriteAllBytes(path, RootfsTar());
        var store = new ChunkStore(dir.Combine("chunks"), compress: false);
        var result = TarImporter.Import(path, store, new ImportOptions { Exclude = ["/home"] });
        Assert.Null(result.Tree.Lookup("/home"));
        Assert.NotNull(result.Tree.Lookup("/etc/hostname"));
    }

    [Fact]
    public void Ustar_and_gnu_formats_import()
    {
        foreach (var format in new[] { TarEntryFormat.Ustar, TarEntryFormat.Gnu, TarEntryFormat.V7 })
        {
            using var dir = new TempDir();
            var longName = "deep/" + new string('n', 150) + "/file";
            var tar = TarFixtures.Build(
                w =>
                {
                    var type = format == TarEntryFormat.V7 ? TarEntryType.V7RegularFile : TarEntryType.RegularFile;
                    TarEntry entry = format switch
                    {
                        TarEntryFormat.Ustar => new UstarTarEntry(type, "etc/os-release") { Uid = 7 },
                        TarEntryFormat.Gnu => new GnuTarEntry(type, longName) { Uid = 7 },
                        _ => new V7TarEntry(type, "etc/os-release") { Uid = 7 },
                    };
                    entry.DataStream = new MemoryStream("ID=debian\n"u8.ToArray());
                    w.WriteEntry(entry);
                },
                format);
            var (result, _) = ImportBytes(dir, tar);
            var node = result.Tree.Lookup(format == TarEntryFormat.Gnu ? "/" + longName : "/etc/os-release");
            Assert.NotNull(node);
            Assert.Equal(7, node.Uid);
            Assert.Equal(10, node.Size);
        }
    }

    [Fact]
    public void Xz_tarball_is_read_through_the_system_xz()
    {
        using var dir = new TempDir();
        var plain = dir.Combine("rootfs.tar");
        File.WriteAllBytes(plain, RootfsTar());
        var info = new System.Diagnostics.ProcessStartInfo("xz", ["-z", "-k", plain]);
        try
        {
            using var xz = System.Diagnostics.Process.Start(info)!;
            xz.WaitForExit();
            Assert.Equal(0, xz.ExitCode);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No xz on this machine: the importer then reports that clearly; nothing more to check here.
            return;
        }

        var store = new ChunkStore(dir.Combine("chunks"), compress: false);
        var result = TarImporter.Import(plain + ".xz", store);
        Assert.Equal(4, result.Report.Files);

        var corrupt = File.ReadAllBytes(plain + ".xz");
        corrupt[^20] ^= 0xFF;
        File.WriteAllBytes(dir.Combine("bad.tar.xz"), corrupt);
        Assert.Throws<ImageException>(() => TarImporter.Import(dir.Combine("bad.tar.xz"), store));
    }

    [Fact]
    public void Chunk_names_of_the_tree_keep_live_chunks_through_garbage_collection()
    {
        using var dir = new TempDir();
        var (result, store) = ImportBytes(dir, TarFixtures.Build(w =>
        {
            w.File("a", "first version of a"u8.ToArray());
            w.File("a", "second version of a"u8.ToArray());
        }));
        Assert.Equal(2, store.Count);
        Assert.Equal(1, store.RemoveUnreferenced(result.Tree.ChunkNames()));
        Assert.True(store.Contains(result.Tree.Lookup("/a")!.ChunkName!));
    }
}
