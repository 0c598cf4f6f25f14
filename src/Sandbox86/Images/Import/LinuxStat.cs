using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Sandbox86.Images.Import;

/// <summary>
/// lstat-equivalent metadata through glibc's statx(2). .NET exposes no uid/gid, and statx's struct
/// layout is the same on every architecture, unlike struct stat.
/// </summary>
internal static partial class LinuxStat
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7FF;
    private const int StatxSize = 256;

    internal readonly record struct Info(uint Mode, int Uid, int Gid, long Size, long MtimeSeconds, ulong Device, ulong Inode, uint Nlink);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    /// <summary>Stats <paramref name="path"/> without following a final symlink.</summary>
    public static unsafe Info Lstat(string path)
    {
        var buffer = stackalloc byte[StatxSize];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new ImageException($"cannot stat '{path}': {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        var s = new ReadOnlySpan<byte>(buffer, StatxSize);
        return new Info(
            Mode: BinaryPrimitives.ReadUInt16LittleEndian(s[28..]),
            Uid: (int)BinaryPrimitives.ReadUInt32LittleEndian(s[20..]),
            Gid: (int)BinaryPrimitives.ReadUInt32LittleEndian(s[24..]),
            Size: (long)BinaryPrimitives.ReadUInt64LittleEndian(s[40..]),
            MtimeSeconds: BinaryPrimitives.ReadInt64LittleEndian(s[112..]),
            Device: ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(s[136..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(s[140..]),
            Inode: BinaryPrimitives.ReadUInt64LittleEndian(s[32..]),
            Nlink: BinaryPrimitives.ReadUInt32LittleEndian(s[16..]));
    }
}
