namespace Sandbox86.Mounts.Server;

/// <summary>One host directory the session serves, as a top-level entry of its tree.</summary>
internal sealed class NineExport(byte[] name, int rootFd, bool readOnly) : IDisposable
{
    /// <summary>The entry's name at the top of the tree (the mount's index: "0", "1", ...).</summary>
    public byte[] Name { get; } = name;

    /// <summary>An <c>O_PATH</c> fd of the host directory, opened once when the mount starts.</summary>
    public int RootFd { get; private set; } = rootFd;

    public bool ReadOnly { get; } = readOnly;

    public void Dispose()
    {
        Host.HostFs.Close(RootFd);
        RootFd = -1;
    }
}
