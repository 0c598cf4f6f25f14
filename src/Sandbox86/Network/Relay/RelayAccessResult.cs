namespace Sandbox86.Network.Relay;

/// <summary>The outcome of a relay access check.</summary>
public enum RelayAccessResult
{
    /// <summary>Accept the WebSocket.</summary>
    Allowed,
    /// <summary>No or a wrong token: answer 401.</summary>
    Unauthorized,
    /// <summary>A browser Origin that is not allowed: answer 403.</summary>
    Forbidden,
}
