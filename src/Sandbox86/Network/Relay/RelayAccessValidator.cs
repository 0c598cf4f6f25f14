using System.Security.Cryptography;
using System.Text;

namespace Sandbox86.Network.Relay;

/// <summary>
/// The relay's access rules in one place, for the built-in listener and for any host that accepts the WebSocket
/// itself (an ASP.NET Core endpoint): the shared token, given as <c>?token=</c> or as a subprotocol, and the browser
/// Origin. Tokens are compared in constant time (over SHA-256 digests, so not even the length leaks).
/// </summary>
public sealed class RelayAccessValidator
{
    private readonly byte[]? _tokenDigest;
    private readonly IReadOnlyList<string> _allowedOrigins;

    /// <summary>Creates a validator.</summary>
    /// <param name="token">The shared secret; null accepts any client (only sensible on loopback).</param>
    /// <param name="allowedOrigins">As <see cref="RelayOptions.AllowedOrigins"/>: exact origins or <c>*</c>; empty allows only loopback origins.</param>
    /// <exception cref="ArgumentException">The token is empty or only white space: it would look set but protect nothing.</exception>
    public RelayAccessValidator(string? token, IReadOnlyList<string> allowedOrigins)
    {
        ArgumentNullException.ThrowIfNull(allowedOrigins);
        if (token is not null && string.IsNullOrWhiteSpace(token))
        {
            throw new ArgumentException("The relay token is empty; give a non-empty secret, or none to accept any client on loopback.", nameof(token));
        }

        _tokenDigest = token is null ? null : Digest(token);
        _allowedOrigins = allowedOrigins;
    }

    /// <summary>A validator for <paramref name="options"/>' token and allowed origins.</summary>
    public static RelayAccessValidator For(RelayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new RelayAccessValidator(options.Token, options.AllowedOrigins);
    }

    /// <summary>True when a token is required.</summary>
    public bool RequiresToken => _tokenDigest is not null;

    /// <summary>Checks one upgrade request: the token first (401), then the Origin (403).</summary>
    /// <param name="origin">The Origin header, or null when absent (non-browser clients send none).</param>
    /// <param name="queryToken">The <c>token</c> query parameter, URL-decoded, or null.</param>
    /// <param name="subprotocols">The subprotocols the client offered.</param>
    public RelayAccessDecision Check(string? origin, string? queryToken, IEnumerable<string> subprotocols)
    {
        ArgumentNullException.ThrowIfNull(subprotocols);
        string? subprotocol = null;
        if (_tokenDigest is not null)
        {
            subprotocol = subprotocols.FirstOrDefault(TokenMatches);
            if (subprotocol is null && !TokenMatches(queryToken))
            {
                return new RelayAccessDecision(RelayAccessResult.Unauthorized, null);
            }
        }

        return OriginAllowed(origin)
            ? new RelayAccessDecision(RelayAccessResult.Allowed, subprotocol)
            : new RelayAccessDecision(RelayAccessResult.Forbidden, null);
    }

    /// <summary>True when <paramref name="given"/> is the token (constant time).</summary>
    public bool TokenMatches(string? given) =>
        _tokenDigest is not null && given is not null && CryptographicOperations.FixedTimeEquals(_tokenDigest, Digest(given));

    /// <summary>True when a request with this Origin header (null: none) may connect.</summary>
    public bool OriginAllowed(string? origin)
    {
        if (origin is null)
        {
            return true;
        }

        if (_allowedOrigins.Count > 0)
        {
            return _allowedOrigins.Any(o => o == "*" || o.Equals(origin, StringComparison.OrdinalIgnoreCase));
        }

        // Without a list only pages served from this machine: a foreign site must not drive a local relay.
        return Uri.TryCreate(origin, UriKind.Absolute, out var u) && (u.IsLoopback || u.Host == "localhost");
    }

    private static byte[] Digest(string s) => SHA256.HashData(Encoding.UTF8.GetBytes(s));
}
