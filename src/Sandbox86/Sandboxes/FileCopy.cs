namespace Sandbox86.Sandboxes;

/// <summary>One copy between the host and the guest: a file or a directory tree.</summary>
/// <param name="HostPath">Path on the host (a file or a directory).</param>
/// <param name="GuestPath">Absolute path in the guest; a trailing '/' means "into this directory".</param>
public sealed record FileCopy(string HostPath, string GuestPath);
