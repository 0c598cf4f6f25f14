using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sandbox86.Guest;
using Sandbox86.Server.Envd.Connect;
using Sandbox86.Server.Envd.Files;
using Sandbox86.Server.Envd.Processes;

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
        // envd is Connect-RPC behind the E2b-Sandbox-Id header: not part of the control plane's OpenAPI document.
        var envd = endpoints.MapGroup("").ExcludeFromDescription();
        envd.MapGet("/health", () => TypedResults.NoContent());
        envd.MapPost("/process.Process/{method}", (string method, HttpContext context) =>
            RpcAsync(context, ProcessService.IsStreaming(method), (call, ct) => ProcessService.HandleAsync(method, call, context, ct)));
        envd.MapPost("/filesystem.Filesystem/{method}", (string method, HttpContext context) =>
            RpcAsync(context, method == "WatchDir", (call, ct) => FilesystemService.HandleAsync(method, call, context, ct)));
        envd.MapGet("/files", (HttpContext context) => RestAsync(context, call => FileTransfer.DownloadAsync(call, context, context.RequestAborted)));
        envd.MapPost("/files", (HttpContext context) => RestAsync(context, call => FileTransfer.UploadAsync(call, context, context.RequestAborted)));
        return endpoints;
    }

    /// <summary><c>Connect-Timeout-Ms</c>: the deadline of the call (a started command is killed at it, as on E2B).</summary>
    public static TimeSpan? ConnectTimeout(HttpContext context) =>
        long.TryParse(context.Request.Headers["Connect-Timeout-Ms"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms > 0
            ? TimeSpan.FromMilliseconds(Math.Min(ms, int.MaxValue))
            : null;

    /// <summary><c>Keepalive-Ping-Interval</c> in seconds (the SDK sends 50); 50 s when absent.</summary>
    public static TimeSpan KeepaliveInterval(HttpContext context) =>
        int.TryParse(context.Request.Headers["Keepalive-Ping-Interval"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s > 0
            ? TimeSpan.FromSeconds(Math.Clamp(s, 1, 3600))
            : TimeSpan.FromSeconds(50);

    /// <summary>
    /// Connect's deadline for a unary call: the handler's token fires at <c>Connect-Timeout-Ms</c> and the call
    /// answers <c>deadline_exceeded</c>. Streams keep the request's token: a Start's deadline kills its command
    /// in the guest (the agent's timeout), which then ends the stream with its end event.
    /// </summary>
    private static CancellationTokenSource Deadline(HttpContext context, bool streaming)
    {
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        if (!streaming && ConnectTimeout(context) is { } timeout)
        {
            deadline.CancelAfter(timeout);
        }

        return deadline;
    }

    private static async Task RpcAsync(HttpContext context, bool streaming, Func<EnvdCall, CancellationToken, Task> handler)
    {
        var contentType = context.Request.ContentType ?? "";
        var expected = streaming ? ConnectWire.StreamContentType : "application/json";
        using var deadline = Deadline(context, streaming);
        try
        {
            if (!contentType.StartsWith(expected, StringComparison.OrdinalIgnoreCase))
            {
                context.Response.StatusCode = 415;
                return;
            }

            var call = await EnvdCall.ResolveAsync(context, null).ConfigureAwait(false);
            await handler(call, deadline.Token).ConfigureAwait(false);
        }
        catch (ConnectException e)
        {
            await FailAsync(context, streaming, e).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
        {
            await FailAsync(context, streaming, new ConnectException("deadline_exceeded", "the call did not finish within Connect-Timeout-Ms")).ConfigureAwait(false);
        }
        catch (AgentException e)
        {
            await FailAsync(context, streaming, new ConnectException("unavailable", "guest agent: " + e.Message)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; background processes stay in the table.
        }
    }

    private static async Task FailAsync(HttpContext context, bool streaming, ConnectException e)
    {
        if (streaming)
        {
            // Connect streams report errors in the end-stream frame with HTTP 200 (also mid-stream).
            if (!context.Response.HasStarted)
            {
                ConnectWire.StartStream(context.Response);
            }

            await ConnectWire.WriteEndAsync(context.Response, e, CancellationToken.None).ConfigureAwait(false);
        }
        else
        {
            await ConnectWire.WriteUnaryErrorAsync(context.Response, e).ConfigureAwait(false);
        }
    }

    private static async Task RestAsync(HttpContext context, Func<EnvdCall, Task> handler)
    {
        try
        {
            var call = await EnvdCall.ResolveAsync(context, context.Request.Query["username"].ToString()).ConfigureAwait(false);
            await handler(call).ConfigureAwait(false);
        }
        catch (ConnectException e) when (!context.Response.HasStarted)
        {
            context.Response.StatusCode = e.HttpStatus;
            await context.Response.WriteAsJsonAsync(new Dictionary<string, object> { ["code"] = e.HttpStatus, ["message"] = e.Message }).ConfigureAwait(false);
        }
        catch (AgentException e) when (!context.Response.HasStarted)
        {
            context.Response.StatusCode = 502;
            await context.Response.WriteAsJsonAsync(new Dictionary<string, object> { ["code"] = 502, ["message"] = "guest agent: " + e.Message }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
    }
}
