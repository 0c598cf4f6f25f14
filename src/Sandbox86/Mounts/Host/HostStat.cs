using System.Buffers.Binary;

namespace Sandbox86.Mounts.Host;

/// <summary>What <c>statx</c> says about one host inode (the fields 9P's getattr needs).</summary>
internal readonly record struct HostStat(
    uint Mode, uint Uid, uint Gid, ulong Nlink, ulong Ino, ulong Size, ulong Blocks, uint BlkSize,
    long AtimeSec, uint AtimeNsec, long MtimeSec, uint MtimeNsec, long CtimeSec, uint CtimeNsec,
    long BtimeSec, uint BtimeNsec, uint RdevMajor, uint RdevMinor, uint DevMajor, uint DevMinor)
{
    public const int BufferSize = 256;

    public bool IsDir => (Mode & HostNative.SIfmt) == HostNative.SIfdir;
    public bool IsRegular => (Mode & HostNative.SIfmt) == HostNative.SIfreg;
    public bool IsSymlink => (Mode & HostNative.SIfmt) == HostNative.SIflnk;

    /// <summary>Decodes <c>struct statx</c> (its layout is the same on every Linux architecture).</summary>
    public static HostStat Parse(ReadOnlySpan<byte> b) => new(
        Mode: BinaryPrimitives.ReadUInt16LittleEndian(b[28..]),
        Uid: BinaryPrimitives.ReadUInt32LittleEndian(b[20..]),
        Gid: BinaryPrimitives.ReadUInt32LittleEndian(b[24..]),
        Nlink: BinaryPrimitives.ReadUInt32LittleEndian(b[16..]),
        Ino: BinaryPrimitives.ReadUInt64LittleEndian(b[32..]),
        Size: BinaryPrimitives.ReadUInt64LittleEndian(b[40..]),
        Blocks: BinaryPrimitives.ReadUInt64LittleEndian(b[48..]),
        BlkSize: BinaryPrimitives.ReadUInt32LittleEndian(b[4..]),
        AtimeSec: BinaryPrimitives.ReadInt64LittleEndian(b[64..]),
        AtimeNsec: BinaryPrimitives.ReadUInt32LittleEndian(b[72..]),
        BtimeSec: BinaryPrimitives.ReadInt64LittleEndian(b[80..]),
        BtimeNsec: BinaryPrimitives.ReadUInt32LittleEndian(b[88..]),
        CtimeSec: BinaryPrimitives.ReadInt64LittleEndian(b[96..]),
        CtimeNsec: BinaryPrimitives.ReadUInt32LittleEndian(b[104..]),
        MtimeSec: BinaryPrimitives.ReadInt64LittleEndian(b[112..]),
        MtimeNsec: BinaryPrimitives.ReadUInt32LittleEndian(b[120..]),
        RdevMajor: BinaryPrimitives.ReadUInt32LittleEndian(b[128..]),
        RdevMinor: BinaryPrimitives.ReadUInt32LittleEndian(b[132..]),
        DevMajor: BinaryPrimitives.ReadUInt32LittleEndian(b[136..]),
        DevMinor: BinaryPrimitives.ReadUInt32LittleEndian(b[140..]));
}
