using Sandbox86.Images.Fs;

namespace Sandbox86.Images.Import;

/// <summary>
/// Imports a directory tree (for example a debootstrap result) with its real ownership, modes
/// (setuid included) and mtimes, read by lstat, so a tree built by root keeps root ownership.
/// Symlinks are recorded, never followed; hard links become copies sharing one chunk; devices,
/// fifos and sockets are skipped with a warning. Reading files other users cannot read needs root.
/// </summary>
public static class DirectoryImporter
{
    /// <summary>Imports <paramref name="dir"/> as the image root.</summary>
    public static ImportResult Import(string dir, ChunkStore store, ImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dir);
        ArgumentNullException.ThrowIfNull(store);
        options ??= ImportOptions.Default;
        if (!Directory.Exists(dir))
        {
            throw new ImageException($"directory '{dir}' does not exist");
        }

        var root = Path.GetFullPath(dir);
        var tree = new FsTree();
        var report = new ImportReport(options.MaxWarnings);
        var exclude = new ExcludeFilter(options.Exclude);
        var storeDir = Path.TrimEndingDirectorySeparator(store.Directory);
        var seenInodes = new Dictionary<(ulong Device, ulong Inode), FsNode>();

        var rootInfo = LinuxStat.Lstat(root);
        tree.AddDirectory("/", rootInfo.Mode, rootInfo.Uid, rootInfo.Gid, rootInfo.MtimeSeconds);

        var pending = new Stack<(string HostPath, string ImagePath)>();
        pending.Push((root, "/"));
        while (pending.Count > 0)
        {
            var (hostDir, imageDir) = pending.Pop();
            IEnumerable<string> names;
            try
            {
                names = Directory.EnumerateFileSystemEntries(hostDir).Select(Path.GetFileName).OfType<string>().ToList();
            }
            catch (UnauthorizedAccessException e)
            {
                throw new ImageException($"cannot list '{hostDir}': {e.Message} (importing a rootfs made by root needs root)", e);
            }

            foreach (var name in names)
            {
                var hostPath = Path.Combine(hostDir, name);
                var imagePath = imageDir == "/" ? "/" + name : imageDir + "/" + name;
                if (exclude.IsExcluded(imagePath) || Path.TrimEndingDirectorySeparator(hostPath) == storeDir)
                {
                    continue;
                }

                var info = LinuxStat.Lstat(hostPath);
                switch (info.Mode & FsMode.TypeMask)
                {
                    case FsMode.Directory:
                        tree.AddDirectory(imagePath, info.Mode, info.Uid, info.Gid, info.MtimeSeconds);
                        pending.Push((hostPath, imagePath));
                        break;
                    case FsMode.Symlink:
                        var target = new FileInfo(hostPath).LinkTarget ?? string.Empty;
                        tree.AddSymlink(imagePath, target, info.Uid, info.Gid, info.MtimeSeconds, info.Mode);
                        break;
                    case FsMode.Regular:
                        AddFile(tree, store, report, seenInodes, hostPath, imagePath, info);
                        break;
                    default:
                        report.Skip($"skipped {Describe(info.Mode)} {imagePath} (v86's filesystem index cannot hold it; devtmpfs provides devices)");
                        break;
                }
            }
        }

        report.CountFrom(tree);
        return new ImportResult(tree, report);
    }

    private static void AddFile(
        FsTree tree, ChunkStore store, ImportReport report, Dictionary<(ulong, ulong), FsNode> seenInodes,
        string hostPath, string imagePath, LinuxStat.Info info)
    {
        if (info.Nlink > 1 && seenInodes.TryGetValue((info.Device, info.Inode), out var first))
        {
            tree.AddFile(imagePath, first.ChunkName!, first.Size, info.Mode, info.Uid, info.Gid, info.MtimeSeconds);
            report.HardLinksCopied++;
            return;
        }

        (string Name, long Size) chunk;
        try
        {
            using var content = new FileStream(hostPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
            chunk = store.Add(content);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ImageException($"cannot read '{hostPath}': {e.Message} (importing a rootfs made by root needs root)", e);
        }

        var node = tree.AddFile(imagePath, chunk.Name, chunk.Size, info.Mode, info.Uid, info.Gid, info.MtimeSeconds);
        if (info.Nlink > 1)
        {
            seenInodes[(info.Device, info.Inode)] = node;
        }
    }

    private static string Describe(uint mode) => (mode & FsMode.TypeMask) switch
    {
        0x2000 => "character device",
        0x6000 => "block device",
        0x1000 => "fifo",
        0xC000 => "socket",
        _ => "special file",
    };
}
