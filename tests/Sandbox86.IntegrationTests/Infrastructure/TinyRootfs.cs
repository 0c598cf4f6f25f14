using System.Formats.Tar;

namespace Sandbox86.IntegrationTests.Infrastructure;

/// <summary>
/// A busybox-only i386 rootfs as a tarball, written by the test itself: static busybox from Debian's
/// busybox-static:i386 package (the image builder caches it), and applet symlinks.
/// </summary>
internal static class TinyRootfs
{
    public static string BusyboxPath()
    {
        var path = Path.Combine(Sandbox86.Util.SandboxPaths.Cache, "debs", "busybox-static_i386", "bin", "busybox");
        Assert.True(File.Exists(path), $"{path} is missing: building the default image caches it");
        return path;
    }

    public static void Write(string tarPath, string? initScript = null, IReadOnlyDictionary<string, byte[]>? extraFiles = null)
    {
        using var stream = File.Create(tarPath);
        using var tar = new TarWriter(stream, TarEntryFormat.Pax);
        foreach (var dir in new[] { "bin", "sbin", "etc", "root", "tmp", "proc", "sys", "dev" })
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, dir + "/") { Mode = (UnixFileMode)0x1ED });
        }

        using (var busybox = File.OpenRead(BusyboxPath()))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "bin/busybox") { Mode = (UnixFileMode)0x1ED, DataStream = busybox });
        }

        foreach (var applet in new[] { "sh", "ls", "cat", "echo", "mount", "uname", "sleep", "id", "ps", "sha256sum", "true" })
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/" + applet) { LinkName = "busybox", Mode = (UnixFileMode)0x1FF });
        }

        if (initScript is not null)
        {
            using var init = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(initScript));
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "sbin/init") { Mode = (UnixFileMode)0x1ED, DataStream = init });
        }

        foreach (var (path, content) in extraFiles ?? new Dictionary<string, byte[]>())
        {
            using var data = new MemoryStream(content);
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path) { Mode = (UnixFileMode)0x1A4, DataStream = data });
        }

        using var hello = new MemoryStream("hello from the tiny image\n"u8.ToArray());
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "etc/motd") { Mode = (UnixFileMode)0x1A4, Uid = 1000, Gid = 1000, DataStream = hello });
    }
}
