namespace Sandbox86.Images.Fs;

/// <summary>st_mode constants (Linux values, which v86 uses too).</summary>
internal static class FsMode
{
    /// <summary>Mask of the file-type bits.</summary>
    public const uint TypeMask = 0xF000;

    /// <summary>Directory type bits.</summary>
    public const uint Directory = 0x4000;

    /// <summary>Regular file type bits.</summary>
    public const uint Regular = 0x8000;

    /// <summary>Symbolic link type bits.</summary>
    public const uint Symlink = 0xA000;

    /// <summary>Character device type bits (only used by the cpio writer; the v86 index cannot hold devices).</summary>
    public const uint CharDevice = 0x2000;

    /// <summary>Permission bits including setuid (04000), setgid (02000) and sticky (01000).</summary>
    public const uint PermissionMask = 0xFFF;

    /// <summary>The type bits for a node kind.</summary>
    public static uint TypeBits(FsNodeKind kind) => kind switch
    {
        FsNodeKind.Directory => Directory,
        FsNodeKind.File => Regular,
        FsNodeKind.Symlink => Symlink,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
