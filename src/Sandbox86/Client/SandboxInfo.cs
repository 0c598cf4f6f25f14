namespace Sandbox86.Client;

/// <summary>One sandbox as the control plane describes it (create, get, list, connect answers).</summary>
public sealed record SandboxInfo
{
    /// <summary>The sandbox id (<c>sandboxID</c>).</summary>
    public required string SandboxId { get; init; }

    /// <summary>The template (image) it was created from.</summary>
    public string TemplateId { get; init; } = "";

    /// <summary><c>running</c> or <c>paused</c>; empty when the answer (create, connect) does not say.</summary>
    public string State { get; init; } = "";

    /// <summary>When it was created, when known.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When its TTL ends, when known.</summary>
    public DateTimeOffset? EndAt { get; init; }

    /// <summary>Guest memory in MB, when known.</summary>
    public int? MemoryMb { get; init; }

    /// <summary>The metadata given at create.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>The envd access token of a sandbox created <c>secure</c> (sent as <c>X-Access-Token</c>).</summary>
    public string? EnvdAccessToken { get; init; }

    /// <summary>The envd version the server claims.</summary>
    public string? EnvdVersion { get; init; }

    /// <summary>The name given with <see cref="SandboxCreateOptions.Name"/>, kept in <see cref="Metadata"/>.</summary>
    public string? Name => Metadata.TryGetValue(SandboxClient.NameMetadataKey, out var name) ? name : null;
}
