using System.Text;
using Sandbox86.Images.Fs;

namespace Sandbox86.Images.Build;

/// <summary>
/// Writes the small initramfs every image boots with (cpio newc + gzip): static busybox, the boot
/// modules in dependency order and <see cref="GuestInit"/>'s script. About 1.3 MB, against 10–15 s of
/// boot for Debian's udev-based one (DESIGN.md).
/// </summary>
internal static class InitramfsBuilder
{
    public static void Write(Stream output, string busyboxPath, KernelModules modules)
    {
        var order = modules.WithDependencies(KernelModules.BootModules);
        using var cpio = new CpioWriter(output);
        foreach (var dir in new[] { "bin", "dev", "proc", "sys", "newroot", "lib", "lib/modules" })
        {
            cpio.AddDirectory(dir, 0x1ED);
        }

        // The kernel opens /dev/console before devtmpfs is mounted; without it init has no stdio.
        cpio.AddCharDevice("dev/console", 5, 1, 0x180);
        cpio.AddFile("bin/busybox", File.ReadAllBytes(busyboxPath), 0x1ED);
        cpio.AddSymlink("bin/sh", "busybox");
        foreach (var module in order)
        {
            cpio.AddFile($"lib/modules/{module}.ko", File.ReadAllBytes(modules.PathOf(module)), 0x1A4);
        }

        cpio.AddFile("init", Encoding.UTF8.GetBytes(GuestInit.Script(order)), 0x1ED);
        cpio.Finish();
    }
}
