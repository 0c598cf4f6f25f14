using Sandbox86.Images.Store;

namespace Sandbox86.Machines;

/// <summary>A state file chosen for a restore, with the sidecar read when it was chosen (so it is read once).</summary>
internal sealed record SnapshotRef(string Path, SnapshotInfo Info);
