using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Sandbox86.Server.ControlPlane;

namespace Sandbox86.Server.Ui;

/// <summary>
/// Who may open a console WebSocket. A browser cannot put <c>X-API-Key</c> on a WebSocket, and a key in the
/// query string would end up in access logs, so the page offers it as a second subprotocol,
/// <c>sandbox86.key.HEX</c> (the key's UTF-8 bytes in hex: RFC 6455 §4.1 allows only token characters there),
/// beside <see cref="Protocol"/>, the one the server selects. The key is checked as the API checks
/// <c>X-API-Key</c> (<see cref="ApiKeyCheck"/>, constant time). The Origin must be this server's own
/// (RFC 6455 §10.2: a WebSocket is not bound by the same-origin policy, so any page could open one otherwise).
/// </summary>
internal static class UiSocketAccess
{
    /// <summary>The subprotocol of the console's PTY socket.</summary>
    public const string Protocol = "sandbox86.pty";

    /// <summary>The prefix of the subprotocol that carries the key.</summary>
    public const string KeyPrefix = "sandbox86.key.";

    /// <summary>Longest key accepted (hex doubles it): E2B keys are 44 characters.</summary>
    private const int MaxKeyBytes = 256;

    /// <summary>Null when the request may open the socket; otherwise the status and the reason.</summary>
    public static (int Status, string Message)? Refusal(HttpRequest request, ApiKeyCheck keys)
    {
        var protocols = request.HttpContext.WebSockets.WebSocketRequestedProtocols;
        if (!protocols.Contains(Protocol))
        {
            return (400, $"the console socket speaks subprotocol '{Protocol}'");
        }

        if (!IsSameOrigin(request))
        {
            return (403, "the Origin of this socket is not this server's");
        }

        if (keys.AcceptsAny)
        {
            // Without keys the server listens on loopback only; a Host that is not a loopback name means a
            // page reached it through DNS rebinding (its Origin then matches its Host), so refuse it.
            return IsLoopbackHost(request.Host) ? null : (403, "without --api-key the console answers loopback host names only");
        }

        return keys.IsAllowed(KeyFrom(protocols)) ? null : (401, "invalid or missing API key (subprotocol sandbox86.key.HEX)");
    }

    /// <summary>The protocol list a page offers for <paramref name="key"/> (null: none needed).</summary>
    public static string[] ProtocolsFor(string? key) =>
        key is null ? [Protocol] : [Protocol, KeyPrefix + Convert.ToHexStringLower(Encoding.UTF8.GetBytes(key))];

    private static string? KeyFrom(IList<string> protocols)
    {
        foreach (var p in protocols)
        {
            if (!p.StartsWith(KeyPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var hex = p.AsSpan(KeyPrefix.Length);
            if (hex.Length == 0 || hex.Length > 2 * MaxKeyBytes || hex.Length % 2 != 0)
            {
                return null;
            }

            try
            {
                return Encoding.UTF8.GetString(Convert.FromHexString(hex));
            }
            catch (FormatException)
            {
                return null;
            }
        }

        return null;
    }

    private static bool IsSameOrigin(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0 || !Uri.TryCreate(origin, UriKind.Absolute, out var uri) || !request.Host.HasValue)
        {
            return false;
        }

        var own = new Uri($"{request.Scheme}://{request.Host.Value}");
        return string.Equals(uri.Scheme, own.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(uri.IdnHost, own.IdnHost, StringComparison.OrdinalIgnoreCase)
            && uri.Port == own.Port
            && uri.AbsolutePath == "/";
    }

    private static bool IsLoopbackHost(HostString host) =>
        string.Equals(host.Host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
