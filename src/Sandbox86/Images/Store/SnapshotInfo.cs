namespace Sandbox86.Images.Store;

/// <summary>Sidecar of a saved VM state: which image build and memory size it belongs to.</summary>
public sealed record SnapshotInfo
{
    /// <summary>The <see cref="ImageManifest.BuildId"/> of the build the state was saved from; a restore refuses any other build.</summary>
    public required string ImageBuildId { get; init; }
    /// <summary>Guest RAM in MiB of the saved machine; a state restores only at that size.</summary>
    public required int MemoryMb { get; init; }
    /// <summary>When the state was saved.</summary>
    public required DateTimeOffset Created { get; init; }
    /// <summary>Size of the v86 state before compression.</summary>
    public required long RawBytes { get; init; }
    /// <summary>Size of the zstd-compressed state file on disk.</summary>
    public required long CompressedBytes { get; init; }
    /// <summary>SHA-256 of the compressed state file, as <c>sha256:HEX</c>, so a damaged or replaced file is noticed.</summary>
    public required string Digest { get; init; }
}
