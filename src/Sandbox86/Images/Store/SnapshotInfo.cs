namespace Sandbox86.Images.Store;

/// <summary>Sidecar of a saved VM state: which image build and memory size it belongs to.</summary>
public sealed record SnapshotInfo
{
    public required string ImageBuildId { get; init; }
    public required int MemoryMb { get; init; }
    public required DateTimeOffset Created { get; init; }
    public required long RawBytes { get; init; }
    public required long CompressedBytes { get; init; }
    public required string Digest { get; init; }
}
