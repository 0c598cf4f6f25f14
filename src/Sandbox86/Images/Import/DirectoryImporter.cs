using Sandbox86.Images.Fs;

namespace Sandbox86.Images.Import;

/// <summary>
/// Imports a directory tree (for example a debootstrap result) with its real ownership, modes
/// (setuid included) and mtimes, read by lstat, so a tree built by root keeps root ownership.
/// Symlinks are recorded, never followed; hard links become copies sharing one chunk; devices,
/// fifos and sockets are skipped with a warning. Reading files other users cannot read needs root.
/// </summary>
internal static class DirectoryImporter
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

        var rootInfo = LinuxStat.Lstat(root);
        tree.AddDirectory("/", rootInfo.Mode, rootInfo.Uid, rootInfo.Gid, rootInfo.MtimeSeconds);

        // Walk first (directories and symlinks go straight into the tree), then hash and compress file
        // contents in parallel: compression dominates, and a rootfs has thousands of independent files.
        var files = new List<PendingFile>();
        var firstByInode = new Dictionary<(ulong Device, ulong Inode), int>();
        var pending = new Stack<(string HostPath, string ImagePath)>();
        pending.Push((root, "/"));
        while (pending.Count > 0)
        {
            var (hostDir, imageDir) = pending.Pop();
            List<string> names;
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
                        var linkOf = -1;
                        if (info.Nlink > 1 && !firstByInode.TryAdd((info.Device, info.Inode), files.Count))
                        {
                            linkOf = firstByInode[(info.Device, info.Inode)];
                        }

                        files.Add(new PendingFile(hostPath, imagePath, info, linkOf));
                        break;
                    default:
                        report.Skip($"skipped {Describe(info.Mode)} {imagePath} (v86's filesystem index cannot hold it; devtmpfs provides devices)");
                        break;
                }
            }
        }

        var chunks = StoreContents(files, store, options);
        for (var i = 0; i < files.Count; i++)
        {
            var file = files[i];
            var chunk = file.LinkOf >= 0 ? chunks[file.LinkOf] : chunks[i];
            if (file.LinkOf >= 0)
            {
                report.HardLinksCopied++;
            }

            tree.AddFile(file.ImagePath, chunk.Name, chunk.Size, file.Info.Mode, file.Info.Uid, file.Info.Gid, file.Info.MtimeSeconds);
        }

        report.CountFrom(tree);
        return new ImportResult(tree, report);
    }

    private static (string Name, long Size)[] StoreContents(List<PendingFile> files, ChunkStore store, ImportOptions options)
    {
        var chunks = new (string Name, long Size)[files.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Parallelism) };
        try
        {
            Parallel.For(0, files.Count, parallel, i =>
            {
                if (files[i].LinkOf >= 0)
                {
                    return;
                }

                try
                {
                    using var content = new FileStream(files[i].HostPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
                    chunks[i] = store.Add(content);
                }
                catch (UnauthorizedAccessException e)
                {
                    throw new ImageException($"cannot read '{files[i].HostPath}': {e.Message} (importing a rootfs made by root needs root)", e);
                }
                catch (IOException e)
                {
                    throw new ImageException($"cannot read '{files[i].HostPath}': {e.Message}", e);
                }
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.OfType<ImageException>().FirstOrDefault() is { } first)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
        }

        return chunks;
    }

    private static string Describe(uint mode) => (mode & FsMode.TypeMask) switch
    {
        0x2000 => "character device",
        0x6000 => "block device",
        0x1000 => "fifo",
        0xC000 => "socket",
        _ => "special file",
    };

    private sealed record PendingFile(string HostPath, string ImagePath, LinuxStat.Info Info, int LinkOf);
}
