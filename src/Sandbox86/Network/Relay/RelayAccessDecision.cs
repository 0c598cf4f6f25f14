namespace Sandbox86.Network.Relay;

/// <summary>What <see cref="RelayAccessValidator.Check"/> decided for one upgrade request.</summary>
/// <param name="Result">Allowed, or why not.</param>
/// <param name="Subprotocol">
/// When the client sent the token as a WebSocket subprotocol, that subprotocol: the server must echo it when it
/// accepts (browsers fail the connection otherwise). Null when the token came in the query or none is required.
/// </param>
public readonly record struct RelayAccessDecision(RelayAccessResult Result, string? Subprotocol)
{
    /// <summary>True when the WebSocket may be accepted.</summary>
    public bool IsAllowed => Result == RelayAccessResult.Allowed;

    /// <summary>The HTTP status to refuse with (401, 403), or 0 when allowed.</summary>
    public int StatusCode => Result switch
    {
        RelayAccessResult.Unauthorized => 401,
        RelayAccessResult.Forbidden => 403,
        _ => 0,
    };
}
