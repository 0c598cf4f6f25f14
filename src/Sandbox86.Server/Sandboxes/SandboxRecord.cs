namespace Sandbox86.Server.Sandboxes;

/// <summary>What the registry persists of a sandbox (one JSON file under <c>--data</c>).</summary>
internal sealed record SandboxRecord
{
    public required string SandboxId { get; init; }
    public required string TemplateId { get; init; }
    public required string ImageName { get; init; }
    public required int MemoryMb { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset EndAt { get; set; }
    public Dictionary<string, string> Metadata { get; init; } = [];
    public Dictionary<string, string> EnvVars { get; init; } = [];
    public string? EnvdAccessToken { get; init; }
    public bool AutoPause { get; init; }
    public bool AllowInternetAccess { get; init; } = true;

    /// <summary>Egress allow rules (E2B's <c>network.allowOut</c>) of the sandbox's NIC.</summary>
    public List<string> AllowOut { get; init; } = [];

    /// <summary>Egress deny rules (E2B's <c>network.denyOut</c>).</summary>
    public List<string> DenyOut { get; init; } = [];

    /// <summary>Host mounts, resolved under the server's mount roots at create (re-attached after every restore).</summary>
    public List<Mounts.MountSpec> Mounts { get; init; } = [];

    /// <summary>The image build the sandbox runs from (<c>images/.builds/ID</c>); a resume must use this build, not the name's current one.</summary>
    public string? BuildDirectory { get; set; }
    public SandboxState State { get; set; }

    /// <summary>TTL left when paused: pausing does not consume it.</summary>
    public double? RemainingSeconds { get; set; }
}
