namespace Sandbox86.Guest;

/// <summary>
/// The VM's side of the bulk file path: v86's 9p tree (the guest's root filesystem), read and written
/// by the process hosting the VM without the guest running a byte of it. Paths are tree paths, which
/// are the guest's canonical paths on its root filesystem. The agent keeps the guest's caches coherent
/// around each use (see <c>AgentClient.Files</c> and agent/PROTOCOL.md).
/// </summary>
internal interface IGuestTree
{
    /// <summary>Creates the file <paramref name="treePath"/>, which must not exist, with all of <paramref name="content"/>.</summary>
    Task PutAsync(string treePath, Stream content, CancellationToken cancellationToken);

    /// <summary>
    /// Copies at most <paramref name="size"/> bytes of <paramref name="treePath"/> into
    /// <paramref name="destination"/> (less if the file is shorter by then); returns the byte count.
    /// </summary>
    Task<long> GetAsync(string treePath, long size, Stream destination, CancellationToken cancellationToken);
}
