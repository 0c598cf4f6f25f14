namespace Sandbox86.Mounts.Server;

/// <summary>
/// What a guest fid points at: an <c>O_PATH | O_NOFOLLOW</c> fd of one host inode inside an export
/// (or the synthetic top directory when <see cref="Export"/> is null), plus an I/O fd once opened.
/// </summary>
internal sealed class NineFid
{
    public NineExport? Export { get; init; }

    /// <summary>The inode this fid names; -1 for the synthetic top.</summary>
    public int PathFd { get; set; } = -1;

    /// <summary>The fd Tlopen/Tlcreate opened; -1 while unopened.</summary>
    public int OpenFd { get; set; } = -1;

    public bool Opened { get; set; }

    public bool Append { get; set; }

    public bool Writable { get; set; }

    /// <summary>The guest uid this fid was attached as (the owner recorded on what it creates).</summary>
    public uint Uid { get; init; }

    public bool IsTop => Export is null;

    public void Close()
    {
        Host.HostFs.Close(OpenFd);
        Host.HostFs.Close(PathFd);
        OpenFd = PathFd = -1;
    }
}
