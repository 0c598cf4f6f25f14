using Sandbox86.Images;
using Sandbox86.Images.Fs;
using Sandbox86.Images.Import;

namespace Sandbox86.Tests.Images.Import;

public sealed class ElfCheckTests
{
    /// <summary>A minimal ELF identification and header prefix: enough for the check, not a runnable program.</summary>
    private static byte[] ElfHeader(byte elfClass, ushort machine)
    {
        var header = new byte[64];
        header[0] = 0x7F;
        header[1] = (byte)'E';
        header[2] = (byte)'L';
        header[3] = (byte)'F';
        header[4] = elfClass;
        header[5] = 1; // little-endian
        header[6] = 1; // EV_CURRENT
        header[16] = 2; // ET_EXEC
        header[18] = (byte)machine;
        header[19] = (byte)(machine >> 8);
        return header;
    }

    private static (FsTree, ChunkStore) Rootfs(TempDir dir, byte[] shell)
    {
        var store = new ChunkStore(dir.Combine("chunks"), compress: true);
        var tree = new FsTree();
        var (name, size) = store.Add(shell);
        tree.AddFile("/usr/bin/dash", name, size, 0x1ED, 0, 0, 0);
        tree.AddSymlink("/bin", "usr/bin", 0, 0, 0);
        tree.AddSymlink("/usr/bin/sh", "dash", 0, 0, 0);
        return (tree, store);
    }

    [Fact]
    public void Accepts_i386_through_symlinks()
    {
        using var dir = new TempDir();
        var (tree, store) = Rootfs(dir, ElfHeader(1, 3));
        ElfCheck.RequireI386(tree, store);
    }

    [Fact]
    public void Rejects_x86_64_and_arm64_naming_the_architecture()
    {
        using var dir = new TempDir();
        var (tree, store) = Rootfs(dir, ElfHeader(2, 62));
        var e = Assert.Throws<ImageException>(() => ElfCheck.RequireI386(tree, store));
        Assert.Contains("x86_64", e.Message, StringComparison.Ordinal);
        Assert.Contains("i386", e.Message, StringComparison.Ordinal);

        using var dir2 = new TempDir();
        (tree, store) = Rootfs(dir2, ElfHeader(2, 183));
        Assert.Contains("arm64", Assert.Throws<ImageException>(() => ElfCheck.RequireI386(tree, store)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_scripts_missing_shell_and_symlink_loops()
    {
        using var dir = new TempDir();
        var (tree, store) = Rootfs(dir, "#!/bin/busybox sh\n"u8.ToArray());
        Assert.Contains("not an ELF", Assert.Throws<ImageException>(() => ElfCheck.RequireI386(tree, store)).Message, StringComparison.Ordinal);

        tree.Remove("/usr/bin/sh");
        Assert.Contains("/bin/sh", Assert.Throws<ImageException>(() => ElfCheck.RequireI386(tree, store)).Message, StringComparison.Ordinal);

        tree.AddSymlink("/usr/bin/sh", "/bin/sh2", 0, 0, 0);
        tree.AddSymlink("/usr/bin/sh2", "sh", 0, 0, 0);
        Assert.Contains("loop", Assert.Throws<ImageException>(() => ElfCheck.RequireI386(tree, store)).Message, StringComparison.Ordinal);
    }
}
