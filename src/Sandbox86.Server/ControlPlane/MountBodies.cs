using System.Text.Json.Serialization;
using Sandbox86.Server.Sandboxes;

namespace Sandbox86.Server.ControlPlane;

/// <summary>
/// E2B's <c>SandboxVolumeMount</c> (<c>{name, path}</c>, e2b 2.x <c>volumeMounts</c>): here a volume is a
/// directory of that name under one of the server's <c>--mount-root</c>s, mounted live at <c>path</c>.
/// </summary>
internal sealed record VolumeMountBody
{
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("path")] public string? Path { get; init; }
    /// <summary>Ours (E2B has no such field): every write fails with EROFS.</summary>
    [JsonPropertyName("readOnly")] public bool? ReadOnly { get; init; }
}

/// <summary>sandbox86's own <c>hostMounts</c> entry: an absolute host directory (under a mount root) at guest <c>path</c>, like <c>-v HOST:GUEST[:ro]</c>.</summary>
internal sealed record HostMountBody
{
    [JsonPropertyName("hostPath")] public string? HostPath { get; init; }
    [JsonPropertyName("path")] public string? Path { get; init; }
    [JsonPropertyName("readOnly")] public bool? ReadOnly { get; init; }
}

internal static class MountBodies
{
    /// <summary>Mounts per sandbox: each is a top entry of one 9P session; a handful is what a harness needs.</summary>
    public const int MaxMounts = 16;

    public static List<RequestedMount> ToRequested(NewSandboxBody body)
    {
        var mounts = new List<RequestedMount>();
        foreach (var v in body.VolumeMounts ?? [])
        {
            mounts.Add(new RequestedMount(null, v?.Name ?? throw new SandboxException(400, "volumeMounts[].name is required"),
                v.Path ?? throw new SandboxException(400, "volumeMounts[].path is required"), v.ReadOnly ?? false));
        }

        foreach (var h in body.HostMounts ?? [])
        {
            mounts.Add(new RequestedMount(h?.HostPath ?? throw new SandboxException(400, "hostMounts[].hostPath is required"), null,
                h.Path ?? throw new SandboxException(400, "hostMounts[].path is required"), h.ReadOnly ?? false));
        }

        if (mounts.Count > MaxMounts)
        {
            throw new SandboxException(400, $"at most {MaxMounts} mounts per sandbox");
        }

        if (mounts.Select(m => m.GuestPath).Distinct(StringComparer.Ordinal).Count() != mounts.Count)
        {
            throw new SandboxException(400, "two mounts have the same path");
        }

        return mounts;
    }
}
