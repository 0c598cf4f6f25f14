using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Sandbox86.Server.Sandboxes;

namespace Sandbox86.Server.ControlPlane;

/// <summary>Middleware of the control plane: the API key check, and refusals turned into <c>{code, message}</c>.</summary>
internal sealed class ControlPlaneGuard(ApiKeyCheck keys, ILogger<ControlPlaneGuard> log)
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path;
        if (!path.StartsWithSegments("/openapi") && !keys.IsAllowed(context.Request.Headers["X-API-Key"].ToString()))
        {
            await ApiError.Result(401, "invalid or missing API key (X-API-Key)").ExecuteAsync(context);
            return;
        }

        try
        {
            await next(context);
        }
        catch (SandboxException e) when (!context.Response.HasStarted)
        {
            await ApiError.Result(e.Status, e.Message).ExecuteAsync(context);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            await ApiError.Result(e.StatusCode, e.Message).ExecuteAsync(context);
        }
        catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
        {
            log.LogError(e, "{Method} {Path} failed", context.Request.Method, path);
            await ApiError.Result(500, e.Message).ExecuteAsync(context);
        }
    }
}
