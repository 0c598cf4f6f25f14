namespace Sandbox86.Images.Import;

/// <summary>The parts of an OCI/Docker image config that running a container needs.</summary>
internal sealed record OciImageConfig
{
    /// <summary>The image's architecture as the config states it ("386", "amd64"…), if present.</summary>
    public string? Architecture { get; init; }

    /// <summary>The image's OS ("linux"), if present.</summary>
    public string? Os { get; init; }

    /// <summary>Environment as "NAME=value" strings.</summary>
    public IReadOnlyList<string> Env { get; init; } = [];

    /// <summary>Default command (arguments after the entrypoint).</summary>
    public IReadOnlyList<string> Cmd { get; init; } = [];

    /// <summary>Entrypoint.</summary>
    public IReadOnlyList<string> Entrypoint { get; init; } = [];

    /// <summary>Working directory, or null.</summary>
    public string? WorkingDir { get; init; }

    /// <summary>User ("name", "uid", "uid:gid"), or null.</summary>
    public string? User { get; init; }
}
