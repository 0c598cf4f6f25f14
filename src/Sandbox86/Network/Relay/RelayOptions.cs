using System.Net;

namespace Sandbox86.Network.Relay;

/// <summary>Options of the v86-compatible WebSocket relay (<c>relay_url: "ws://host:port/"</c>).</summary>
public sealed record RelayOptions
{
    /// <summary>Where to listen. Port 0 picks a free port (reported through <see cref="OnListening"/>).</summary>
    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 8086);

    /// <summary>
    /// Shared secret. Clients pass it as <c>?token=</c> or as a WebSocket subprotocol. Required to listen on a
    /// non-loopback address.
    /// </summary>
    public string? Token { get; init; }

    /// <summary>All connections on one switched network (guests see each other) instead of one network per connection.</summary>
    public bool Shared { get; init; }

    /// <summary>
    /// Browser origins allowed (exact match, e.g. <c>https://example.org</c>, or <c>*</c>). When empty, requests that
    /// carry an Origin header are accepted only if it is a loopback origin (<c>http://localhost</c>, <c>http://127.0.0.1</c>).
    /// </summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];

    /// <summary>The network each connection (or all, when <see cref="Shared"/>) is attached to. Forwards apply only when shared.</summary>
    public NetworkOptions Network { get; init; } = new();

    /// <summary>Concurrent WebSocket connections.</summary>
    public int MaxConnections { get; init; } = 64;

    /// <summary>Called once the listener is bound, with the actual endpoint.</summary>
    public Action<IPEndPoint>? OnListening { get; init; }
}
