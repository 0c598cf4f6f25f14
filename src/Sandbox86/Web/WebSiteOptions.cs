namespace Sandbox86.Web;

/// <summary>How <see cref="WebSite.PrepareAsync"/> builds a static site that runs an image in a browser.</summary>
public sealed record WebSiteOptions
{
    /// <summary>The largest state part the site holds; parts are fetched in parallel.</summary>
    public const int MaxStatePartBytes = 10 * 1024 * 1024;

    /// <summary>
    /// Where the page's NIC connects: a v86 relay (<c>ws://…</c> or <c>wss://…</c>, e.g. <c>sandbox86 relay</c>), or
    /// a path relative to the page (<c>relay</c>) for a server that serves the relay beside the site. The guest then
    /// configures itself by DHCP. Null: the page has no network.
    /// </summary>
    public string? RelayUrl { get; init; }

    /// <summary>Guest memory in MB; null takes the image's.</summary>
    public int? MemoryMb { get; init; }

    /// <summary>The page's title; null uses "sandbox86: IMAGE".</summary>
    public string? Title { get; init; }

    /// <summary>The worker, v86 and web assets to use; null means <see cref="Runtime.RuntimeAssets.Default"/>.</summary>
    public Runtime.RuntimeAssets? Assets { get; init; }

    /// <summary>Says what the build decided (snapshot made or reused); null logs nothing.</summary>
    public Microsoft.Extensions.Logging.ILogger? Logger { get; init; }

    /// <summary>Receives a line per step (for a CLI's progress output); null reports nothing.</summary>
    public Action<string>? Progress { get; init; }
}
