using Sandbox86.Images.Store;

namespace Sandbox86.Machines;

/// <summary>
/// A snapshot directory chosen for a restore, with the sidecar read when it was chosen (so it is read
/// once, and so a later discard can tell whether the directory still holds the unit it judged).
/// </summary>
internal sealed record SnapshotRef(string Directory, SnapshotInfo Info)
{
    public string StatePath => System.IO.Path.Combine(Directory, StoredImage.SnapshotStateFile);
}
