using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Sandbox86.Server.ControlPlane;

/// <summary>What the control plane's endpoints tell <c>/openapi/v1.json</c>: the handlers read their bodies themselves (bounded), so the shapes are declared here.</summary>
internal static class OpenApiMetadata
{
    public static RouteHandlerBuilder Api(this RouteHandlerBuilder builder, string operationId, string summary) =>
        builder.WithName(operationId).WithSummary(summary).WithTags("sandboxes");

    /// <summary>The error statuses an endpoint can answer, each with E2B's <c>{code, message}</c> body.</summary>
    public static RouteHandlerBuilder Errors(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses.Append(500))
        {
            builder.Produces<ApiError>(status, "application/json");
        }

        return builder;
    }
}
