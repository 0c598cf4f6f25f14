using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sandbox86.Machines.Fork;
using Sandbox86.Server.ControlPlane;
using Sandbox86.Server.Sandboxes;

namespace Sandbox86.Server.Fork;

/// <summary>
/// E2B's fork: <c>POST /sandboxes/{id}/fork {timeout, count}</c> → 201 with one <c>SandboxForkResult</c>
/// per fork (a sandbox, or an error for that fork alone); 404 for an unknown sandbox, 409 when it is
/// not running, 400 for a count outside 1..<see cref="MachineFork.MaxCount"/>.
/// </summary>
internal static class ForkEndpoints
{
    private const int MaxTimeoutSeconds = 24 * 3600;

    public static IEndpointRouteBuilder MapFork(this IEndpointRouteBuilder app, ServerOptions options)
    {
        app.MapPost("/sandboxes/{id}/fork", async (string id, HttpRequest request, SandboxRegistry registry, CancellationToken ct) =>
        {
            var body = await RequestBody.ReadAsync(request, options.MaxRequestBytes, new SandboxForkRequest(), ct);
            var count = body.Count ?? 1;
            if (count < 1 || count > MachineFork.MaxCount)
            {
                throw new SandboxException(400, $"count must be between 1 and {MachineFork.MaxCount}");
            }

            var timeout = body.Timeout ?? 300;
            if (timeout < 1 || timeout > MaxTimeoutSeconds)
            {
                throw new SandboxException(400, $"timeout must be between 1 and {MaxTimeoutSeconds} seconds");
            }

            var results = await registry.ForkAsync(id, count, TimeSpan.FromSeconds(timeout), ct);
            var reply = results.Select(r => r.Entry is { } entry
                ? new SandboxForkResult(new SandboxBody(entry.Record.TemplateId, entry.SandboxId, ControlPlaneEndpoints.ClientId, ControlPlaneEndpoints.EnvdVersion, entry.EnvdAccessToken, null), null)
                : new SandboxForkResult(null, new ApiError(r.Error?.Status ?? 500, r.Error?.Message ?? "fork failed"))).ToList();
            return TypedResults.Json(reply, statusCode: 201);
        });
        return app;
    }
}
