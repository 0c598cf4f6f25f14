using Sandbox86.Machines;
using Sandbox86.Mounts;

namespace Sandbox86.Server.Sandboxes;

/// <summary>A mount a create asked for: a host path (<c>hostMounts</c>) or a volume name (E2B <c>volumeMounts</c>), not yet checked.</summary>
internal sealed record RequestedMount(string? HostPath, string? VolumeName, string GuestPath, bool ReadOnly);

/// <summary>The server's side of host mounts: the operator's roots decide, the library's <see cref="MountPolicy"/> checks.</summary>
internal static class SandboxMounts
{
    /// <summary>Resolves a create's mounts under the roots; 403 with the reason when one is not allowed.</summary>
    public static List<MountSpec> Resolve(IReadOnlyList<string> roots, IReadOnlyList<RequestedMount> requested)
    {
        if (requested.Count == 0)
        {
            return [];
        }

        var policy = new MountPolicy(roots);
        try
        {
            return [.. requested.Select(r => r.HostPath is { } host
                ? policy.Resolve(host, r.GuestPath, r.ReadOnly)
                : policy.ResolveVolume(r.VolumeName!, r.GuestPath, r.ReadOnly))];
        }
        catch (MountDeniedException e)
        {
            throw new SandboxException(403, e.Message);
        }
    }

    /// <summary>
    /// Before a sandbox's machine starts with its mounts (create or resume): a root the server no longer
    /// allows (restarted without that <c>--mount-root</c>) refuses the resume rather than mounting it.
    /// </summary>
    public static void CheckStillAllowed(IReadOnlyList<string> roots, IReadOnlyList<MountSpec> mounts)
    {
        if (mounts.Count == 0)
        {
            return;
        }

        var allowed = new MountPolicy(roots).Roots;
        if (mounts.FirstOrDefault(m => m.Root is null || !allowed.Contains(m.Root, StringComparer.Ordinal)) is { } gone)
        {
            throw new SandboxException(403, $"mount of '{gone.HostPath}' is no longer allowed: its root '{gone.Root}' is not a --mount-root of this server");
        }
    }
}
