using System.Formats.Tar;
using Sandbox86.Images.Fs;

namespace Sandbox86.Images.Import;

/// <summary>
/// Applies tar entries onto an <see cref="FsTree"/>, streaming file contents into a
/// <see cref="ChunkStore"/>. Used for plain rootfs tarballs and for OCI layers (with whiteouts).
/// </summary>
/// <remarks>
/// Path policy: leading "/" and "./" are dropped, so "/etc/x" is stored as /etc/x (tar files made
/// with -P or by some exporters carry absolute names; inside an image "absolute" means the image root).
/// ".." is resolved lexically and any entry whose name, or hard-link target, climbs above the root is
/// rejected with an <see cref="ImageException"/> naming it: such an archive is broken or hostile.
/// </remarks>
internal sealed class TarApplier
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueMarker = ".wh..wh..opq";

    private readonly FsTree _tree;
    private readonly ChunkStore _store;
    private readonly ImportReport _report;
    private readonly ExcludeFilter _exclude;
    private readonly HashSet<string> _layerPaths = new(StringComparer.Ordinal);

    public TarApplier(FsTree tree, ChunkStore store, ImportReport report, ImportOptions options)
    {
        _tree = tree;
        _store = store;
        _report = report;
        _exclude = new ExcludeFilter(options.Exclude);
    }

    /// <summary>Applies every entry of <paramref name="reader"/>; <paramref name="whiteouts"/> enables OCI layer semantics.</summary>
    public void Apply(TarReader reader, string archive, bool whiteouts)
    {
        _layerPaths.Clear();
        while (reader.GetNextEntry() is { } entry)
        {
            ApplyEntry(entry, archive, whiteouts);
        }
    }

    private void ApplyEntry(TarEntry entry, string archive, bool whiteouts)
    {
        var parts = FsPath.Normalize(entry.Name)
            ?? throw new ImageException($"{archive}: entry '{entry.Name}' escapes the image root through '..'");
        var path = FsPath.Join(parts);
        if (_exclude.IsExcluded(path))
        {
            return;
        }

        var leaf = parts.Count > 0 ? parts[^1] : string.Empty;
        var parent = FsPath.Join(parts.Take(Math.Max(0, parts.Count - 1)));
        if (whiteouts && leaf.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
        {
            ApplyWhiteout(parent, leaf);
            return;
        }

        var mode = (uint)entry.Mode & FsMode.PermissionMask;
        var mtime = entry.ModificationTime.ToUnixTimeSeconds();
        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                _tree.AddDirectory(path, mode, entry.Uid, entry.Gid, mtime);
                break;
            case TarEntryType.RegularFile:
            case TarEntryType.V7RegularFile:
            case TarEntryType.ContiguousFile:
                RequireName(parts, entry, archive);
                var (chunk, size) = entry.DataStream is { } data ? _store.Add(data) : _store.Add([]);
                if (size != entry.Length)
                {
                    throw new ImageException($"{archive}: entry '{entry.Name}' is truncated ({size} of {entry.Length} bytes)");
                }

                _tree.AddFile(path, chunk, size, mode, entry.Uid, entry.Gid, mtime);
                break;
            case TarEntryType.SymbolicLink:
                RequireName(parts, entry, archive);
                _tree.AddSymlink(path, entry.LinkName, entry.Uid, entry.Gid, mtime);
                break;
            case TarEntryType.HardLink:
                RequireName(parts, entry, archive);
                if (!CopyHardLink(path, entry, archive))
                {
                    return;
                }

                break;
            case TarEntryType.CharacterDevice:
            case TarEntryType.BlockDevice:
            case TarEntryType.Fifo:
                _report.Skip($"{archive}: skipped {Describe(entry.EntryType)} {path} (v86's filesystem index cannot hold it; devtmpfs provides devices)");
                return;
            case TarEntryType.GlobalExtendedAttributes:
                return;
            default:
                _report.Skip($"{archive}: skipped unsupported entry type {entry.EntryType} for {path}");
                return;
        }

        _layerPaths.Add(path);
    }

    private bool CopyHardLink(string path, TarEntry entry, string archive)
    {
        var targetParts = FsPath.Normalize(entry.LinkName)
            ?? throw new ImageException($"{archive}: hard link '{entry.Name}' points outside the image root ('{entry.LinkName}')");
        var target = _tree.Lookup(FsPath.Join(targetParts));
        if (target is not { Kind: FsNodeKind.File })
        {
            _report.Skip($"{archive}: skipped hard link {path}: target '{entry.LinkName}' is not a file seen earlier in the archive");
            return false;
        }

        // A hard link is the same inode, so the copy takes the target's metadata as well as its content.
        _tree.AddFile(path, target.ChunkName!, target.Size, target.Permissions, target.Uid, target.Gid, target.MtimeSeconds);
        _report.HardLinksCopied++;
        return true;
    }

    private void ApplyWhiteout(string parent, string leaf)
    {
        if (leaf == OpaqueMarker)
        {
            if (_tree.Lookup(parent) is { IsDirectory: true } dir)
            {
                PruneEarlierLayers(dir, parent == "/" ? string.Empty : parent);
            }

            return;
        }

        if (leaf.StartsWith(WhiteoutPrefix + WhiteoutPrefix, StringComparison.Ordinal))
        {
            // Other ".wh..wh." names are aufs metadata (hard-link directories), not deletions.
            return;
        }

        var victim = (parent == "/" ? string.Empty : parent) + "/" + leaf[WhiteoutPrefix.Length..];
        _tree.Remove(victim);
    }

    /// <summary>An opaque directory hides everything earlier layers put in it; this layer's entries stay.</summary>
    private void PruneEarlierLayers(FsNode dir, string dirPath)
    {
        dir.ClearChildren(child => _layerPaths.Contains(dirPath + "/" + child.Name));
        foreach (var child in dir.Children.Where(c => c.IsDirectory))
        {
            PruneEarlierLayers(child, dirPath + "/" + child.Name);
        }
    }

    private static void RequireName(List<string> parts, TarEntry entry, string archive)
    {
        if (parts.Count == 0)
        {
            throw new ImageException($"{archive}: entry '{entry.Name}' ({entry.EntryType}) would replace the root directory");
        }
    }

    private static string Describe(TarEntryType type) => type switch
    {
        TarEntryType.CharacterDevice => "character device",
        TarEntryType.BlockDevice => "block device",
        _ => "fifo",
    };
}
