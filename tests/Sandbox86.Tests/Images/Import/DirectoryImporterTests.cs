using System.Diagnostics;
using System.Runtime.Versioning;
using Sandbox86.Images.Fs;
using Sandbox86.Images.Import;

namespace Sandbox86.Tests.Images.Import;

[SupportedOSPlatform("linux")]
public sealed class DirectoryImporterTests
{
    private static string Sh(string command)
    {
        var info = new ProcessStartInfo("sh", ["-c", command]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, command + ": " + process.StandardError.ReadToEnd());
        return output.Trim();
    }

    [Fact]
    public void Keeps_modes_owners_mtimes_symlinks_and_copies_hard_links()
    {
        using var dir = new TempDir();
        var root = dir.Combine("rootfs");
        Directory.CreateDirectory(Path.Combine(root, "usr", "bin"));
        Directory.CreateDirectory(Path.Combine(root, "tmp"));
        File.WriteAllText(Path.Combine(root, "usr", "bin", "su"), "su binary");
        File.SetUnixFileMode(Path.Combine(root, "tmp"), (UnixFileMode)0x3FF);
        File.SetLastWriteTimeUtc(Path.Combine(root, "usr", "bin", "su"), DateTime.UnixEpoch.AddSeconds(1_234_567_890));
        File.CreateSymbolicLink(Path.Combine(root, "bin"), "usr/bin");
        File.CreateSymbolicLink(Path.Combine(root, "dangling"), "/nowhere");
        Sh($"ln '{root}/usr/bin/su' '{root}/usr/bin/su-hard' && mkfifo '{root}/tmp/fifo'");
        var isRoot = Sh("id -u") == "0";
        if (isRoot)
        {
            Sh($"chown 1234:5678 '{root}/usr/bin/su'");
        }

        // After chown, which clears setuid.
        File.SetUnixFileMode(Path.Combine(root, "usr", "bin", "su"), (UnixFileMode)0x9ED);

        var store = new ChunkStore(dir.Combine("chunks"), compress: false);
        var result = DirectoryImporter.Import(root, store);
        var tree = result.Tree;

        var su = tree.Lookup("/usr/bin/su")!;
        Assert.Equal(FsMode.Regular | 0x9ED, su.Mode);
        Assert.Equal(1_234_567_890, su.MtimeSeconds);
        Assert.Equal(9, su.Size);
        Assert.Equal(isRoot ? 1234 : int.Parse(Sh("id -u"), System.Globalization.CultureInfo.InvariantCulture), su.Uid);
        if (isRoot)
        {
            Assert.Equal(5678, su.Gid);
        }

        Assert.Equal(FsMode.Directory | 0x3FF, tree.Lookup("/tmp")!.Mode);
        Assert.Equal("usr/bin", tree.Lookup("/bin")!.LinkTarget);
        Assert.Equal("/nowhere", tree.Lookup("/dangling")!.LinkTarget);
        Assert.Same(su, tree.Resolve("/bin/su"));

        var hard = tree.Lookup("/usr/bin/su-hard")!;
        Assert.Equal(su.ChunkName, hard.ChunkName);
        Assert.Equal(1, result.Report.HardLinksCopied);

        Assert.Null(tree.Lookup("/tmp/fifo"));
        Assert.Contains(result.Report.Warnings, w => w.Contains("fifo", StringComparison.Ordinal));
        Assert.Equal(2, result.Report.Files);
        Assert.Equal(2, result.Report.Symlinks);
    }

    [Fact]
    public void Chunk_directory_inside_the_tree_and_excluded_paths_are_skipped()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Combine("proc"));
        File.WriteAllText(dir.Combine("proc", "x"), "x");
        File.WriteAllText(dir.Combine("keep"), "k");
        var store = new ChunkStore(dir.Combine("chunks"), compress: false);
        var result = DirectoryImporter.Import(dir.Path, store, new ImportOptions { Exclude = ["/proc"] });
        Assert.Null(result.Tree.Lookup("/proc"));
        Assert.Null(result.Tree.Lookup("/chunks"));
        Assert.NotNull(result.Tree.Lookup("/keep"));
    }
}
