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

    /// <summary>The layout version this manifest was written with (see <see cref="CurrentFormat"/>).</summary>
    public int Format { get; init; } = CurrentFormat;
    /// <summary>The image's name in the store.</summary>
    public required string Name { get; init; }
    /// <summary>When the build finished.</summary>
    public required DateTimeOffset Created { get; init; }
    /// <summary>Unique per build: a snapshot records it so a rebuilt image never restores a stale state.</summary>
    public required string BuildId { get; init; }
    /// <summary>The guest CPU architecture; always <c>i386</c> (v86 emulates a 32-bit x86).</summary>
    public string Arch { get; init; } = "i386";
    /// <summary>Where the rootfs came from, e.g. <c>debian:bookworm</c>, <c>tar:/path</c>.</summary>
    public required string Source { get; init; }
    /// <summary>File name of the Linux kernel inside the image directory.</summary>
    public required string Kernel { get; init; }
    /// <summary>Version of that kernel, from the Debian kernel package it was taken from.</summary>
    public required string KernelVersion { get; init; }
    /// <summary>File name of the initial ramdisk inside the image directory.</summary>
    public required string Initrd { get; init; }
    /// <summary>The kernel command line the image boots with.</summary>
    public required string Cmdline { get; init; }
    /// <summary>Guest RAM in MiB a machine gets unless it asks for another size.</summary>
    public int MemoryMb { get; init; } = 256;
    /// <summary>Version of the guest agent baked into the image; an image whose agent differs from the installed one is stale.</summary>
    public required string AgentVersion { get; init; }
    /// <summary>File name of v86's filesystem index (the JSON tree of the rootfs) inside the image directory.</summary>
    public string FsIndex { get; init; } = "fs.json";
    /// <summary>Directory, inside the image directory, of the file contents v86 loads on demand.</summary>
    public string ChunkDir { get; init; } = "chunks";
    /// <summary>Counts and sizes of what the image holds.</summary>
    public required ImageStats Stats { get; init; }
    /// <summary>SHA-256 of the kernel, initrd and fs index, as <c>sha256:HEX</c>.</summary>
    public required IReadOnlyDictionary<string, string> Digests { get; init; }
    /// <summary>Defaults for commands run in the image (from an OCI config when imported).</summary>
    public ImageRunConfig? Config { get; init; }
    /// <summary>Problems the build noticed but went past (e.g. entries an import could not represent).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>Counts of what is inside an image.</summary>
public sealed record ImageStats
{
    /// <summary>Regular files in the rootfs.</summary>
    public long Files { get; init; }
    /// <summary>Directories in the rootfs.</summary>
    public long Directories { get; init; }
    /// <summary>Symbolic links in the rootfs.</summary>
    public long Symlinks { get; init; }
    /// <summary>Sum of regular file sizes in the rootfs (uncompressed).</summary>
    public long FileBytes { get; init; }
    /// <summary>Files in the chunk directory (one per distinct file content).</summary>
    public long Chunks { get; init; }
    /// <summary>Bytes on disk in the chunk directory (compressed where compression helped).</summary>
    public long ChunkBytes { get; init; }
}

/// <summary>Defaults for commands, from an OCI image config.</summary>
public sealed record ImageRunConfig
{
    /// <summary>Environment variables as <c>NAME=value</c>, set before the run's own.</summary>
    public IReadOnlyList<string> Env { get; init; } = [];
    /// <summary>The command (or the entrypoint's arguments) used when a run gives none.</summary>
    public IReadOnlyList<string> Cmd { get; init; } = [];
    /// <summary>Prefixed to the command, like Docker's ENTRYPOINT: <c>run IMAGE -- ARGS</c> runs Entrypoint + ARGS.</summary>
    public IReadOnlyList<string> Entrypoint { get; init; } = [];
    /// <summary>The directory commands start in unless a run names its own.</summary>
    public string? WorkingDir { get; init; }
    /// <summary>The user commands run as unless a run names its own.</summary>
    public string? User { get; init; }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ImageManifest))]
[JsonSerializable(typeof(SnapshotInfo))]
internal sealed partial class ImageJsonContext : JsonSerializerContext
{
}
