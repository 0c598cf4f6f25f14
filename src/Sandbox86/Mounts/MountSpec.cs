namespace Sandbox86.Mounts;

/// <summary>
/// A live host-directory mount (<c>-v HOST:GUEST[:ro]</c>): the guest sees <see cref="HostPath"/> at
/// <see cref="GuestPath"/> through sandbox86's 9P server; writes reach the host before the command that
/// made them returns, and host edits are seen by the next guest read (no guest page cache).
/// </summary>
public sealed record MountSpec
{
    /// <summary>An existing host directory (made absolute by <see cref="Parse"/>).</summary>
    public required string HostPath { get; init; }

    /// <summary>An absolute guest path other than <c>/</c>; created when missing.</summary>
    public required string GuestPath { get; init; }

    /// <summary>Every write, create, rename, delete and attribute change fails with EROFS.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>
    /// When set (a server's <c>--mount-root</c>), <see cref="HostPath"/> must lie beneath this directory and is
    /// opened from it one component at a time with <c>O_NOFOLLOW</c>: no symlink below the root is followed.
    /// </summary>
    public string? Root { get; init; }

    /// <summary>Parses docker's form <c>HOST:GUEST</c>, <c>HOST:GUEST:ro</c> or <c>HOST:GUEST:rw</c>.</summary>
    public static MountSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(':');
        var readOnly = false;
        if (parts.Length == 3 && parts[2] is "ro" or "rw")
        {
            readOnly = parts[2] == "ro";
        }
        else if (parts.Length != 2)
        {
            throw new ArgumentException($"a mount is HOST:GUEST[:ro] (got '{text}')");
        }

        var spec = new MountSpec { HostPath = Path.GetFullPath(parts[0]), GuestPath = parts[1], ReadOnly = readOnly };
        spec.Validate();
        return spec;
    }

    /// <summary>Checks both paths; throws <see cref="ArgumentException"/> with what is wrong.</summary>
    public void Validate()
    {
        if (string.IsNullOrEmpty(HostPath) || !Directory.Exists(HostPath))
        {
            throw new ArgumentException($"mount source '{HostPath}' is not an existing host directory");
        }

        ValidateGuestPath();
    }

    /// <summary>Checks <see cref="GuestPath"/> (it goes into a guest shell command, quoted).</summary>
    public void ValidateGuestPath()
    {
        var g = GuestPath;
        if (string.IsNullOrEmpty(g) || g[0] != '/' || g == "/" || g.Contains('\0', StringComparison.Ordinal) || g.Contains('\'', StringComparison.Ordinal)
            || g.Split('/').Any(c => c is "." or ".."))
        {
            throw new ArgumentException($"mount target '{g}' must be an absolute guest path other than / (no '.', '..' or quotes)");
        }
    }

    /// <summary>Opens the host directory as an <c>O_PATH</c> fd (confined to <see cref="Root"/> when set); <c>-errno</c> on failure.</summary>
    internal int OpenHostDirectory()
    {
        if (Root is null)
        {
            return Host.HostFs.OpenRoot(HostPath);
        }

        var relative = Path.GetRelativePath(Root, HostPath);
        if (relative == ".." || relative.StartsWith("../", StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            return -Server.Errno.EXDEV;
        }

        return Host.HostFs.OpenBeneath(Root, relative == "." ? [] : relative.Split('/'));
    }
}
