namespace Sandbox86.Server.Envd.Connect;

/// <summary>An error with a Connect code, sent as HTTP status + JSON (unary) or in the end-stream frame.</summary>
internal sealed class ConnectException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;

    public int HttpStatus => Code switch
    {
        "invalid_argument" => 400,
        "unauthenticated" => 401,
        "permission_denied" => 403,
        "not_found" => 404,
        "already_exists" => 409,
        "failed_precondition" => 409,
        "resource_exhausted" => 429,
        "unimplemented" => 501,
        "unavailable" => 503,
        "deadline_exceeded" => 504,
        _ => 500,
    };
}
