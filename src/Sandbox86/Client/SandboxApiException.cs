namespace Sandbox86.Client;

/// <summary>
/// The server refused a call: the HTTP status and the server's own <c>{code, message}</c> (the control
/// plane's code is the status as a number, envd's Connect code a name such as <c>not_found</c>).
/// </summary>
public sealed class SandboxApiException : Sandbox86Exception
{
    /// <summary>Creates the error of one refused call.</summary>
    public SandboxApiException(int statusCode, string? errorCode, string message)
        : base(message)
    {
        StatusCode = statusCode;
        ErrorCode = errorCode;
    }

    /// <summary>The HTTP status (for a Connect stream that failed after it started, the status its code maps to).</summary>
    public int StatusCode { get; }

    /// <summary>The server's <c>code</c> as text (<c>"404"</c>, <c>"not_found"</c>), or null when the body carried none.</summary>
    public string? ErrorCode { get; }

    /// <summary>True when the sandbox (or path) does not exist.</summary>
    public bool IsNotFound => StatusCode == 404;
}
