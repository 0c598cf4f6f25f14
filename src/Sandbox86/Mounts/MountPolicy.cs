using Sandbox86.Mounts.Host;

namespace Sandbox86.Mounts;

/// <summary>
/// Which host directories a remote client (the server's create API) may mount: only directories at or
/// beneath a root the operator named (<c>serve --mount-root DIR</c>). A path is checked as a string
/// (it must lie lexically under a root) and then opened from the root one component at a time with
/// <c>O_NOFOLLOW</c>, so a symlink anywhere below the root, pointing out or not, is refused; the machine
/// opens it the same way again when it attaches (<see cref="MountSpec.Root"/>), so a symlink swapped
/// in between the check and the attach is refused too. No roots means no mounts at all.
/// </summary>
public sealed class MountPolicy
{
    /// <summary>A policy allowing the given roots (each an existing directory; made absolute).</summary>
    public MountPolicy(IEnumerable<string> roots)
    {
        ArgumentNullException.ThrowIfNull(roots);
        Roots = roots.Select(r => Path.TrimEndingDirectorySeparator(Path.GetFullPath(r))).Distinct(StringComparer.Ordinal).ToList();
        foreach (var root in Roots)
        {
            if (!Directory.Exists(root))
            {
                throw new ArgumentException($"mount root '{root}' is not an existing directory");
            }
        }
    }

    /// <summary>The allowed roots, absolute.</summary>
    public IReadOnlyList<string> Roots { get; }

    /// <summary>Checks a host path the client named; returns the mount confined to its root, or throws <see cref="MountDeniedException"/>.</summary>
    public MountSpec Resolve(string hostPath, string guestPath, bool readOnly)
    {
        RequireRoots();
        if (string.IsNullOrEmpty(hostPath) || !Path.IsPathRooted(hostPath) || hostPath.Contains('\0', StringComparison.Ordinal))
        {
            throw new MountDeniedException($"a mount's host path must be absolute (got '{hostPath}')");
        }

        if (hostPath.Split('/').Any(c => c is "." or ".."))
        {
            throw new MountDeniedException($"a mount's host path may not contain '.' or '..' (got '{hostPath}')");
        }

        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(hostPath));
        var root = Roots.FirstOrDefault(r => full == r || full.StartsWith(r == "/" ? "/" : r + "/", StringComparison.Ordinal))
            ?? throw new MountDeniedException($"host path '{full}' is not under an allowed mount root ({string.Join(", ", Roots)})");
        return Confirm(new MountSpec { HostPath = full, GuestPath = guestPath, ReadOnly = readOnly, Root = root });
    }

    /// <summary>
    /// E2B's <c>volumeMounts</c>: a volume is a directory named <paramref name="name"/> (a relative path)
    /// beneath a root; the first root that has it wins.
    /// </summary>
    public MountSpec ResolveVolume(string name, string guestPath, bool readOnly)
    {
        RequireRoots();
        if (string.IsNullOrEmpty(name) || name[0] == '/' || name.Contains('\0', StringComparison.Ordinal) || name.Split('/').Any(c => c is "" or "." or ".."))
        {
            throw new MountDeniedException($"a volume name must be a relative path without '.', '..' or empty parts (got '{name}')");
        }

        MountDeniedException? last = null;
        foreach (var root in Roots)
        {
            try
            {
                return Confirm(new MountSpec { HostPath = Path.Combine(root, name), GuestPath = guestPath, ReadOnly = readOnly, Root = root });
            }
            catch (MountDeniedException e)
            {
                last = e;
            }
        }

        throw new MountDeniedException($"volume '{name}' is not a directory under any mount root ({string.Join(", ", Roots)})", last!);
    }

    private void RequireRoots()
    {
        if (Roots.Count == 0)
        {
            throw new MountDeniedException("host mounts are disabled on this server (start it with --mount-root DIR to allow directories under DIR)");
        }
    }

    private static MountSpec Confirm(MountSpec spec)
    {
        try
        {
            spec.ValidateGuestPath();
        }
        catch (ArgumentException e)
        {
            throw new MountDeniedException(e.Message, e);
        }

        var fd = spec.OpenHostDirectory();
        if (fd < 0)
        {
            throw new MountDeniedException($"host path '{spec.HostPath}' cannot be mounted: {HostFs.Describe(-fd)} " +
                "(it must be a directory reached from its mount root without any symlink)");
        }

        HostFs.Close(fd);
        return spec;
    }
}
