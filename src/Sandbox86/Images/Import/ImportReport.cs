namespace Sandbox86.Images.Import;

/// <summary>What an import produced and what it had to leave out.</summary>
internal sealed class ImportReport
{
    private readonly List<string> _warnings = [];
    private readonly int _maxWarnings;

    internal ImportReport(int maxWarnings)
    {
        _maxWarnings = maxWarnings;
    }

    /// <summary>Regular files in the resulting tree.</summary>
    public int Files { get; internal set; }

    /// <summary>Directories in the resulting tree (not counting the root).</summary>
    public int Directories { get; internal set; }

    /// <summary>Symlinks in the resulting tree.</summary>
    public int Symlinks { get; internal set; }

    /// <summary>Total bytes of regular files in the resulting tree.</summary>
    public long Bytes { get; internal set; }

    /// <summary>Hard links that became copies (sharing the target's chunk).</summary>
    public int HardLinksCopied { get; internal set; }

    /// <summary>Entries left out (devices, fifos, sockets, unsupported types).</summary>
    public int SkippedEntries { get; internal set; }

    /// <summary>Human-readable warnings, at most <see cref="ImportOptions.MaxWarnings"/>.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>Warnings beyond the kept ones.</summary>
    public int SuppressedWarnings { get; private set; }

    /// <summary>The image config (Env, Cmd, WorkingDir, User) for OCI/Docker imports; null otherwise.</summary>
    public OciImageConfig? Config { get; internal set; }

    internal void Warn(string message)
    {
        if (_warnings.Count < _maxWarnings)
        {
            _warnings.Add(message);
        }
        else
        {
            SuppressedWarnings++;
        }
    }

    internal void Skip(string message)
    {
        SkippedEntries++;
        Warn(message);
    }

    internal void CountFrom(Fs.FsTree tree)
    {
        foreach (var (_, node) in tree.Walk())
        {
            switch (node.Kind)
            {
                case Fs.FsNodeKind.File:
                    Files++;
                    Bytes += node.Size;
                    break;
                case Fs.FsNodeKind.Directory:
                    Directories++;
                    break;
                case Fs.FsNodeKind.Symlink:
                    Symlinks++;
                    break;
            }
        }

        Directories--;
    }
}
