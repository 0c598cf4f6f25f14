using System.Text.Json.Serialization;

namespace Sandbox86.Images.Store;

/// <summary>
/// <c>image.json</c>: everything needed to boot an image, next to v86's own files (fs index, chunk
/// directory, kernel, initrd) so the same directory also loads in a browser.
/// </summary>
public sealed record ImageManifest
{
    /// <summary>Bumped when the layout changes incompatibly.</summary>
    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;
    public required string Name { get; init; }
    public required DateTimeOffset Created { get; init; }
    /// <summary>Unique per build: a snapshot records it so a rebuilt image never restores a stale state.</summary>
    public required string BuildId { get; init; }
    public string Arch { get; init; } = "i386";
    /// <summary>Where the rootfs came from, e.g. <c>debian:bookworm</c>, <c>tar:/path</c>.</summary>
    public required string Source { get; init; }
    public required string Kernel { get; init; }
    public required string KernelVersion { get; init; }
    public required string Initrd { get; init; }
    public required string Cmdline { get; init; }
    public int MemoryMb { get; init; } = 256;
    public required string AgentVersion { get; init; }
    public string FsIndex { get; init; } = "fs.json";
    public string ChunkDir { get; init; } = "chunks";
    public required ImageStats Stats { get; init; }
    /// <summary>SHA-256 of the kernel, initrd and fs index, as <c>sha256:HEX</c>.</summary>
    public required IReadOnlyDictionary<string, string> Digests { get; init; }
    /// <summary>Defaults for commands run in the image (from an OCI config when imported).</summary>
    public ImageRunConfig? Config { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>Counts of what is inside an image.</summary>
public sealed record ImageStats
{
    public long Files { get; init; }
    public long Directories { get; init; }
    public long Symlinks { get; init; }
    /// <summary>Sum of regular file sizes in the rootfs (uncompressed).</summary>
    public long FileBytes { get; init; }
    public long Chunks { get; init; }
    /// <summary>Bytes on disk in the chunk directory (compressed where compression helped).</summary>
    public long ChunkBytes { get; init; }
}

/// <summary>Defaults for commands, from an OCI image config.</summary>
public sealed record ImageRunConfig
{
    public IReadOnlyList<string> Env { get; init; } = [];
    public IReadOnlyList<string> Cmd { get; init; } = [];
    /// <summary>Prefixed to the command, like Docker's ENTRYPOINT: <c>run IMAGE -- ARGS</c> runs Entrypoint + ARGS.</summary>
    public IReadOnlyList<string> Entrypoint { get; init; } = [];
    public string? WorkingDir { get; init; }
    public string? User { get; init; }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ImageManifest))]
[JsonSerializable(typeof(SnapshotInfo))]
internal sealed partial class ImageJsonContext : JsonSerializerContext
{
}
