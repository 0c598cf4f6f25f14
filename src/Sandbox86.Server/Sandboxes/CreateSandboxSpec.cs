namespace Sandbox86.Server.Sandboxes;

/// <summary>A validated create request.</summary>
internal sealed record CreateSandboxSpec
{
    public string TemplateId { get; init; } = "base";
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(300);
    public Dictionary<string, string> Metadata { get; init; } = [];
    public Dictionary<string, string> EnvVars { get; init; } = [];
    public bool Secure { get; init; }
    public bool AutoPause { get; init; }
    public bool AllowInternetAccess { get; init; } = true;
    public List<string> AllowOut { get; init; } = [];
    public List<string> DenyOut { get; init; } = [];

    /// <summary>Guest RAM asked for; null: the image's size. Checked against v86's range and the memory budget.</summary>
    public int? MemoryMb { get; init; }

    public List<RequestedMount> Mounts { get; init; } = [];
}
