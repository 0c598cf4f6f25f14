using Microsoft.AspNetCore.Http;

namespace Sandbox86.Server.ControlPlane;

/// <summary>E2B's error body: <c>{code, message}</c> with the HTTP status as code.</summary>
internal sealed record ApiError(int Code, string Message)
{
    public static IResult Result(int status, string message) =>
        TypedResults.Json(new ApiError(status, message), statusCode: status);
}
