using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Sandbox86.Server.Envd;

/// <summary>
/// envd, the in-sandbox daemon of E2B, served by the host: Connect-RPC (JSON codec) for
/// <c>process.Process</c> and <c>filesystem.Filesystem</c>, and REST <c>/files</c> and <c>/health</c>.
/// Requests reach here only when they carry <c>E2b-Sandbox-Id</c> (see <see cref="ServerApp"/>).
/// </summary>
internal static class EnvdEndpoints
{
    /// <summary>The header the SDKs send with every envd call when <c>E2B_SANDBOX_URL</c> is set.</summary>
    public const string SandboxIdHeader = "E2b-Sandbox-Id";

    public static IEndpointRouteBuilder MapEnvd(this IEndpointRouteBuilder endpoints)
    {
        // Placeholder until the data plane lands: health answers as envd does (204).
        endpoints.MapGet("/health", () => TypedResults.NoContent());
        return endpoints;
    }
}
