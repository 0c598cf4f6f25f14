namespace Sandbox86.Images.Fs;

/// <summary>
/// An in-memory rootfs: what an image's index describes. Paths are absolute, '/'-separated and
/// interpreted inside the image; adding a node replaces whatever was at that path (later tar
/// entries and later layers win), except that re-adding a directory keeps its children.
/// </summary>
internal sealed class FsTree
{
    /// <summary>Directories report this size, like ext4 does for small directories.</summary>
    public const long DirectorySize = 4096;

    /// <summary>Creates a tree holding only a root directory (0755, root:root).</summary>
    public FsTree()
    {
        Root = new FsNode(string.Empty, FsNodeKind.Directory, 0x1ED) { Size = DirectorySize };
    }

    /// <summary>The root directory.</summary>
    public FsNode Root { get; }

    /// <summary>Number of regular files.</summary>
    public int FileCount => CountKind(FsNodeKind.File);

    /// <summary>Number of directories, not counting the root.</summary>
    public int DirectoryCount => CountKind(FsNodeKind.Directory) - 1;

    /// <summary>Number of symlinks.</summary>
    public int SymlinkCount => CountKind(FsNodeKind.Symlink);

    /// <summary>Sum of regular file sizes (hard-linked copies counted each time).</summary>
    public long TotalFileBytes => Walk().Where(e => e.Node.Kind == FsNodeKind.File).Sum(e => e.Node.Size);

    /// <summary>The distinct chunk names files refer to: what <see cref="ChunkStore.RemoveUnreferenced"/> must keep.</summary>
    public IReadOnlySet<string> ChunkNames() =>
        Walk().Select(e => e.Node.ChunkName).OfType<string>().ToHashSet(StringComparer.Ordinal);

    /// <summary>The node at <paramref name="absPath"/> without following any symlink, or null.</summary>
    public FsNode? Lookup(string absPath)
    {
        ArgumentNullException.ThrowIfNull(absPath);
        var parts = FsPath.Normalize(absPath);
        if (parts is null)
        {
            return null;
        }

        var node = Root;
        foreach (var part in parts)
        {
            var child = node.GetChild(part);
            if (child is null)
            {
                return null;
            }

            node = child;
        }

        return node;
    }

    /// <summary>
    /// The node at <paramref name="absPath"/>, following symlinks in every component (absolute targets
    /// from the image root, relative ones from the link's directory) as the kernel would. Returns null
    /// when a component is missing; throws <see cref="ImageException"/> after <paramref name="maxHops"/>
    /// links, which is how a loop shows.
    /// </summary>
    public FsNode? Resolve(string absPath, int maxHops = 40)
    {
        ArgumentNullException.ThrowIfNull(absPath);
        var stack = new List<FsNode> { Root };
        var pending = new LinkedList<string>(absPath.Split('/'));
        var hops = 0;
        while (pending.First is { } first)
        {
            var part = first.Value;
            pending.RemoveFirst();
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (stack.Count > 1)
                {
                    stack.RemoveAt(stack.Count - 1);
                }

                continue;
            }

            var current = stack[^1];
            if (!current.IsDirectory)
            {
                return null;
            }

            var child = current.GetChild(part);
            if (child is null)
            {
                return null;
            }

            if (child.Kind != FsNodeKind.Symlink)
            {
                stack.Add(child);
                continue;
            }

            if (++hops > maxHops)
            {
                throw new ImageException(
                    $"too many levels of symbolic links resolving '{absPath}' (a symlink loop; last link '{child.Name}' -> '{child.LinkTarget}')");
            }

            var target = child.LinkTarget ?? string.Empty;
            if (target.StartsWith('/'))
            {
                stack.RemoveRange(1, stack.Count - 1);
            }

            var targetParts = target.Split('/');
            for (var i = targetParts.Length - 1; i >= 0; i--)
            {
                pending.AddFirst(targetParts[i]);
            }
        }

        return stack[^1];
    }

    /// <summary>
    /// Adds a directory, creating missing parents as 0755 root-owned directories. An existing directory
    /// at that path keeps its children and takes the new metadata; any other node there is replaced.
    /// The empty path or "/" sets the root's metadata.
    /// </summary>
    public FsNode AddDirectory(string path, uint perm, int uid, int gid, long mtime)
    {
        var parts = FsPath.Split(path);
        FsNode node;
        if (parts.Count == 0)
        {
            node = Root;
        }
        else
        {
            var parent = EnsureParents(parts, path, mtime);
            var existing = parent.GetChild(parts[^1]);
            if (existing is { IsDirectory: true })
            {
                node = existing;
            }
            else
            {
                node = new FsNode(parts[^1], FsNodeKind.Directory, perm) { Size = DirectorySize };
                parent.SetChild(node);
            }
        }

        node.Mode = perm & FsMode.PermissionMask;
        node.Uid = uid;
        node.Gid = gid;
        node.MtimeSeconds = mtime;
        return node;
    }

    /// <summary>Adds (or replaces with) a regular file whose content is chunk <paramref name="chunkName"/>.</summary>
    public FsNode AddFile(string path, string chunkName, long size, uint perm, int uid, int gid, long mtime)
    {
        ArgumentException.ThrowIfNullOrEmpty(chunkName);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var node = new FsNode(LeafName(path), FsNodeKind.File, perm)
        {
            ChunkName = chunkName,
            Size = size,
            Uid = uid,
            Gid = gid,
            MtimeSeconds = mtime,
        };
        Place(path, node, mtime);
        return node;
    }

    /// <summary>Adds (or replaces with) a symlink. Permissions of symlinks are conventionally 0777.</summary>
    public FsNode AddSymlink(string path, string target, int uid, int gid, long mtime, uint perm = 0x1FF)
    {
        ArgumentNullException.ThrowIfNull(target);
        var node = new FsNode(LeafName(path), FsNodeKind.Symlink, perm)
        {
            LinkTarget = target,
            Size = System.Text.Encoding.UTF8.GetByteCount(target),
            Uid = uid,
            Gid = gid,
            MtimeSeconds = mtime,
        };
        Place(path, node, mtime);
        return node;
    }

    /// <summary>Removes the node at <paramref name="path"/> (a directory with all it holds). False when absent.</summary>
    public bool Remove(string path)
    {
        var parts = FsPath.Normalize(path);
        if (parts is null)
        {
            return false;
        }

        if (parts.Count == 0)
        {
            throw new ArgumentException("cannot remove the root directory", nameof(path));
        }

        var parent = Lookup(FsPath.Join(parts.Take(parts.Count - 1)));
        return parent is { IsDirectory: true } && parent.RemoveChild(parts[^1]);
    }

    /// <summary>
    /// Every node depth-first, parents before children, children in ordinal order; the root comes first as "/".
    /// </summary>
    public IEnumerable<(string Path, FsNode Node)> Walk()
    {
        var stack = new Stack<(string Path, FsNode Node)>();
        stack.Push(("/", Root));
        while (stack.Count > 0)
        {
            var (path, node) = stack.Pop();
            yield return (path, node);
            if (!node.IsDirectory)
            {
                continue;
            }

            var prefix = path == "/" ? "/" : path + "/";
            foreach (var child in node.Children.Reverse())
            {
                stack.Push((prefix + child.Name, child));
            }
        }
    }

    private void Place(string path, FsNode node, long mtime)
    {
        var parts = FsPath.Split(path);
        var parent = EnsureParents(parts, path, mtime);
        parent.SetChild(node);
    }

    private static string LeafName(string path)
    {
        var parts = FsPath.Split(path);
        if (parts.Count == 0)
        {
            throw new ImageException($"'{path}' names the root directory, which can only be a directory");
        }

        return parts[^1];
    }

    private FsNode EnsureParents(List<string> parts, string path, long mtime)
    {
        var node = Root;
        for (var i = 0; i < parts.Count - 1; i++)
        {
            var child = node.GetChild(parts[i]);
            if (child is null)
            {
                child = new FsNode(parts[i], FsNodeKind.Directory, 0x1ED) { Size = DirectorySize, MtimeSeconds = mtime };
                node.SetChild(child);
            }
            else if (!child.IsDirectory)
            {
                throw new ImageException(
                    $"cannot add '{path}': '{FsPath.Join(parts.Take(i + 1))}' is a {child.Kind.ToString().ToLowerInvariant()}, not a directory");
            }

            node = child;
        }

        return node;
    }

    private int CountKind(FsNodeKind kind) => Walk().Count(e => e.Node.Kind == kind);
}
