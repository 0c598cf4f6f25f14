namespace Sandbox86.Images.Fs;

/// <summary>The node kinds v86's 9p filesystem index can represent.</summary>
internal enum FsNodeKind
{
    /// <summary>A directory (S_IFDIR).</summary>
    Directory,

    /// <summary>A regular file whose content lives in a chunk (S_IFREG).</summary>
    File,

    /// <summary>A symbolic link (S_IFLNK).</summary>
    Symlink,
}
