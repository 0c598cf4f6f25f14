using System.Formats.Tar;
using System.IO.Compression;

namespace Sandbox86.Tests.Images.Import;

/// <summary>Builds small tar archives in memory for importer tests.</summary>
internal static class TarFixtures
{
    public static readonly DateTimeOffset Mtime = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    public static byte[] Build(Action<TarWriter> fill, TarEntryFormat format = TarEntryFormat.Pax)
    {
        using var output = new MemoryStream();
        using (var writer = new TarWriter(output, format, leaveOpen: true))
        {
            fill(writer);
        }

        return output.ToArray();
    }

    public static void Dir(this TarWriter writer, string name, UnixFileMode mode = (UnixFileMode)0x1ED, int uid = 0, int gid = 0) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name) { Mode = mode, Uid = uid, Gid = gid, ModificationTime = Mtime });

    public static void File(this TarWriter writer, string name, byte[] content, UnixFileMode mode = (UnixFileMode)0x1A4, int uid = 0, int gid = 0) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            Mode = mode,
            Uid = uid,
            Gid = gid,
            ModificationTime = Mtime,
            DataStream = new MemoryStream(content),
        });

    public static void Symlink(this TarWriter writer, string name, string target) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target, Mode = (UnixFileMode)0x1FF, ModificationTime = Mtime });

    public static void HardLink(this TarWriter writer, string name, string target) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target, Mode = (UnixFileMode)0x1A4, ModificationTime = Mtime });

    public static void CharDevice(this TarWriter writer, string name, int major, int minor) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.CharacterDevice, name) { DeviceMajor = major, DeviceMinor = minor, Mode = (UnixFileMode)0x1B6, ModificationTime = Mtime });

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(data);
        }

        return output.ToArray();
    }
}
