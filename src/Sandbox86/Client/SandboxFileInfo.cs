namespace Sandbox86.Client;

/// <summary>One file or directory in a sandbox (envd's <c>EntryInfo</c>).</summary>
public sealed record SandboxFileInfo
{
    /// <summary>The base name.</summary>
    public required string Name { get; init; }

    /// <summary>The absolute path.</summary>
    public required string Path { get; init; }

    /// <summary>True for a directory.</summary>
    public bool IsDirectory { get; init; }

    /// <summary>Size in bytes.</summary>
    public long Size { get; init; }

    /// <summary>Unix permission bits, when the server reports them.</summary>
    public uint? Mode { get; init; }

    /// <summary>The target of a symbolic link, or null.</summary>
    public string? SymlinkTarget { get; init; }
}
