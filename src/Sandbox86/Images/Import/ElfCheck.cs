using System.Buffers.Binary;
using Sandbox86.Images.Fs;

namespace Sandbox86.Images.Import;

/// <summary>
/// Checks that a rootfs can run under v86, which emulates a 32-bit x86 CPU: its /bin/sh must be an
/// ELF32 i386 executable. Catches the common mistake of importing an amd64 or arm64 image.
/// </summary>
internal static class ElfCheck
{
    private const ushort MachineI386 = 3;

    /// <summary>Throws an <see cref="ImageException"/> unless /bin/sh (following symlinks) is an i386 ELF.</summary>
    public static void RequireI386(FsTree tree, ChunkStore store)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(store);
        var sh = tree.Resolve("/bin/sh")
            ?? throw new ImageException("rootfs has no /bin/sh (or it is a dangling symlink): sandbox86 needs an i386 rootfs with a shell");
        if (sh.Kind != FsNodeKind.File)
        {
            throw new ImageException($"/bin/sh in the rootfs is a {sh.Kind.ToString().ToLowerInvariant()}, not an executable file");
        }

        var header = new byte[20];
        int n;
        using (var content = store.OpenRead(sh.ChunkName!))
        {
            n = content.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }

        if (n < header.Length || !header.AsSpan(0, 4).SequenceEqual((ReadOnlySpan<byte>)[0x7F, (byte)'E', (byte)'L', (byte)'F']))
        {
            throw new ImageException("/bin/sh in the rootfs is not an ELF binary: sandbox86 needs an i386 rootfs");
        }

        var machine = header[5] == 2
            ? BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(18))
            : BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(18));
        var elfClass = header[4];
        if (machine == MachineI386 && elfClass == 1 && header[5] == 1)
        {
            return;
        }

        var what = machine == MachineI386 ? $"i386 with ELF class {elfClass}" : MachineName(machine);
        throw new ImageException($"rootfs is {what}: sandbox86 needs an i386 rootfs (32-bit x86, EM_386)");
    }

    private static string MachineName(ushort machine) => machine switch
    {
        62 => "x86_64 (EM_X86_64)",
        183 => "arm64 (EM_AARCH64)",
        40 => "arm (EM_ARM)",
        243 => "riscv (EM_RISCV)",
        21 => "ppc64 (EM_PPC64)",
        22 => "s390x (EM_S390)",
        8 => "mips (EM_MIPS)",
        _ => $"ELF machine {machine}",
    };
}
