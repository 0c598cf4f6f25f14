namespace Sandbox86.Client;

/// <summary>What to create: <c>POST /sandboxes</c> in E2B's shape.</summary>
public sealed record SandboxCreateOptions
{
    /// <summary>The template (a sandbox86 image name); <c>base</c> is the agent image, or the default image when it is not built.</summary>
    public string Template { get; init; } = "base";

    /// <summary>A name for the sandbox, stored in the metadata under <see cref="SandboxClient.NameMetadataKey"/>; must be unique among the server's sandboxes.</summary>
    public string? Name { get; init; }

    /// <summary>Time to live; the server's default (300 s) when null.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Pause instead of kill when the TTL ends.</summary>
    public bool AutoPause { get; init; }

    /// <summary>Whether the guest may reach the internet (E2B's <c>allow_internet_access</c>).</summary>
    public bool AllowInternetAccess { get; init; } = true;

    /// <summary>Require <c>X-Access-Token</c> on envd calls (the client sends it for you).</summary>
    public bool Secure { get; init; }

    /// <summary>Environment variables of every process in the sandbox.</summary>
    public IReadOnlyDictionary<string, string> EnvVars { get; init; } = new Dictionary<string, string>();

    /// <summary>Metadata to store with the sandbox (filterable in list).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Guest memory in MB, sent as <c>memoryMB</c>. E2B's create has no such field; a server that ignores it
    /// answers with its own figure, which <see cref="SandboxInfo.MemoryMb"/> of a later get shows.
    /// </summary>
    public int? MemoryMb { get; init; }

    /// <summary>
    /// Live host-directory mounts, sent as sandbox86's <c>hostMounts</c>; the server allows only directories
    /// under its <c>--mount-root</c>s (403 otherwise). <see cref="Mounts.MountSpec.Root"/> is the server's to set.
    /// </summary>
    public IReadOnlyList<Mounts.MountSpec> Mounts { get; init; } = [];
}
