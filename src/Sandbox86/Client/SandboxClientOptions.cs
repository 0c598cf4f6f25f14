namespace Sandbox86.Client;

/// <summary>Where a <see cref="SandboxClient"/> finds the server (<c>sandbox86 serve</c> or any E2B-compatible API) and how it authenticates.</summary>
public sealed record SandboxClientOptions
{
    /// <summary>The server's base URL, e.g. <c>http://127.0.0.1:49982</c>: control plane and envd on one port.</summary>
    public required Uri BaseUrl { get; init; }

    /// <summary>The API key sent as <c>X-API-Key</c>; a server without keys accepts any, so a placeholder is sent when null.</summary>
    public string? ApiKey { get; init; }

    /// <summary>
    /// The HTTP client to use (not disposed by the client). Its own <c>Timeout</c> also bounds streams, so
    /// give one with <see cref="Timeout.InfiniteTimeSpan"/>; by default the client makes its own.
    /// </summary>
    public HttpClient? HttpClient { get; init; }

    /// <summary>
    /// Bound on one control-plane or unary call; streams are not bounded by it. Generous because a create
    /// may have to cold-boot the image once (its boot snapshot), which took over 3 minutes on a loaded 2-core host.
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(10);
}
