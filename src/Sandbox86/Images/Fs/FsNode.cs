namespace Sandbox86.Images.Fs;

/// <summary>
/// One node of an in-memory rootfs: a directory, a regular file (content in a chunk) or a symlink,
/// with the metadata v86's index stores.
/// </summary>
internal sealed class FsNode
{
    private readonly SortedDictionary<string, FsNode>? _children;
    private uint _mode;

    internal FsNode(string name, FsNodeKind kind, uint perm)
    {
        Name = name;
        Kind = kind;
        _mode = FsMode.TypeBits(kind) | (perm & FsMode.PermissionMask);
        if (kind == FsNodeKind.Directory)
        {
            _children = new SortedDictionary<string, FsNode>(StringComparer.Ordinal);
        }
    }

    /// <summary>The entry name in its parent (empty for the root).</summary>
    public string Name { get; internal set; }

    /// <summary>Directory, file or symlink.</summary>
    public FsNodeKind Kind { get; }

    /// <summary>Content length for files; link text length for symlinks; 4096 for directories, as a real filesystem reports.</summary>
    public long Size { get; set; }

    /// <summary>Modification time in seconds since the Unix epoch.</summary>
    public long MtimeSeconds { get; set; }

    /// <summary>
    /// The full st_mode: type bits plus permissions including setuid/setgid/sticky. Setting it with
    /// type bits that disagree with <see cref="Kind"/> throws; setting only permission bits keeps the type.
    /// </summary>
    public uint Mode
    {
        get => _mode;
        set
        {
            var type = value & FsMode.TypeMask;
            if (type != 0 && type != FsMode.TypeBits(Kind))
            {
                throw new ArgumentException($"mode 0{Convert.ToString(value, 8)} does not match a {Kind}", nameof(value));
            }

            _mode = FsMode.TypeBits(Kind) | (value & FsMode.PermissionMask);
        }
    }

    /// <summary>The permission bits alone (the low 12 bits of <see cref="Mode"/>).</summary>
    public uint Permissions => _mode & FsMode.PermissionMask;

    /// <summary>Owner user id.</summary>
    public int Uid { get; set; }

    /// <summary>Owner group id.</summary>
    public int Gid { get; set; }

    /// <summary>Link text for symlinks; null otherwise.</summary>
    public string? LinkTarget { get; set; }

    /// <summary>For files: the chunk file name in the chunk directory (what v86 loads); null otherwise.</summary>
    public string? ChunkName { get; set; }

    /// <summary>Children of a directory in ordinal name order; empty for other kinds.</summary>
    public IEnumerable<FsNode> Children => _children is null ? [] : _children.Values;

    /// <summary>Number of children (0 for non-directories).</summary>
    public int ChildCount => _children?.Count ?? 0;

    /// <summary>True for directories.</summary>
    public bool IsDirectory => Kind == FsNodeKind.Directory;

    /// <summary>The child with that exact name, or null.</summary>
    public FsNode? GetChild(string name) =>
        _children is not null && _children.TryGetValue(name, out var child) ? child : null;

    internal void SetChild(FsNode child) => Dir()[child.Name] = child;

    internal bool RemoveChild(string name) => Dir().Remove(name);

    internal void ClearChildren(Func<FsNode, bool> keep)
    {
        var dir = Dir();
        foreach (var name in dir.Where(kv => !keep(kv.Value)).Select(kv => kv.Key).ToList())
        {
            dir.Remove(name);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Kind} {Name} 0{Convert.ToString(_mode, 8)} {Uid}:{Gid} {Size}";

    private SortedDictionary<string, FsNode> Dir() =>
        _children ?? throw new InvalidOperationException($"'{Name}' is not a directory");
}
