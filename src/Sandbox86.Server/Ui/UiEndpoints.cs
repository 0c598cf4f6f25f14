using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sandbox86.Guest;
using Sandbox86.Runtime;
using Sandbox86.Server.ControlPlane;
using Sandbox86.Server.Sandboxes;

namespace Sandbox86.Server.Ui;

/// <summary>
/// The server's console at <c>/ui</c>: the page and its xterm.js files (no key: they hold nothing secret, and
/// the page must load to ask for one), <c>/ui/config</c> (whether a key is needed) and the PTY WebSocket
/// <c>/ui/sandboxes/{id}/pty?cols=C&amp;rows=R</c> (<see cref="UiSocketAccess"/>). The page does everything
/// else through the control plane's own endpoints, with <c>X-API-Key</c>, so the API's rules are the console's.
/// Mapped as a branch ahead of the control plane's key check.
/// </summary>
internal static class UiEndpoints
{
    public const string PathBase = "/ui";

    /// <summary>Console sockets open at once, per server; more are refused with 429.</summary>
    public const int MaxSockets = 32;

    public static WebApplication MapSandboxUi(this WebApplication app)
    {
        var assets = new UiAssets(RuntimeAssets.Default);
        var sockets = new SemaphoreSlim(MaxSockets, MaxSockets);
        app.MapWhen(
            context => context.Request.Path.StartsWithSegments(PathBase),
            ui =>
            {
                ui.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
                ui.UseRouting();
                ui.UseEndpoints(endpoints => Map(endpoints, assets, sockets));
            });
        return app;
    }

    private static void Map(IEndpointRouteBuilder endpoints, UiAssets assets, SemaphoreSlim sockets)
    {
        // One catch-all for "/ui", "/ui/" and the files (an optional catch-all matches all three, so separate
        // routes would be ambiguous). "/ui" redirects: the page's relative URLs need the slash.
        endpoints.MapGet(PathBase + "/{**name}", (string? name, HttpContext context) =>
            context.Request.Path.Value == PathBase ? TypedResults.Redirect(PathBase + "/")
            : File(context, assets, string.IsNullOrEmpty(name) ? "index.html" : name));
        endpoints.MapGet(PathBase + "/config", (ApiKeyCheck keys) => TypedResults.Json(new UiConfigBody(!keys.AcceptsAny)));
        endpoints.Map(PathBase + "/sandboxes/{id}/pty", (string id, HttpContext context) => PtyAsync(id, context, sockets));
    }

    private static IResult File(HttpContext context, UiAssets assets, string name)
    {
        if (!assets.TryGet(name, out var path, out var contentType))
        {
            return ApiError.Result(404, $"no console file '{name}'");
        }

        if (!System.IO.File.Exists(path))
        {
            return ApiError.Result(500, $"{path} is missing ({assets.Origin}): the console's files did not ship");
        }

        // The page talks to this server only; no other origin may frame it.
        context.Response.Headers["Content-Security-Policy"] = "default-src 'self'; connect-src 'self'; frame-ancestors 'none'; style-src 'self' 'unsafe-inline'";
        context.Response.Headers["X-Content-Type-Options"] = "nosniff";
        context.Response.Headers.CacheControl = "no-cache";
        return TypedResults.PhysicalFile(path, contentType);
    }

    private static async Task PtyAsync(string id, HttpContext context, SemaphoreSlim sockets)
    {
        var services = context.RequestServices;
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await ApiError.Result(400, "this is a WebSocket endpoint").ExecuteAsync(context);
            return;
        }

        if (UiSocketAccess.Refusal(context.Request, services.GetRequiredService<ApiKeyCheck>()) is { } refusal)
        {
            await ApiError.Result(refusal.Status, refusal.Message).ExecuteAsync(context);
            return;
        }

        var lookup = services.GetRequiredService<ISandboxDirectory>().Find(id);
        if (lookup.Status != SandboxLookupStatus.Running || lookup.Sandbox is not { } sandbox)
        {
            var notFound = lookup.Status == SandboxLookupStatus.NotFound;
            await ApiError.Result(notFound ? 404 : 409, notFound ? $"sandbox \"{id}\" doesn't exist" : $"sandbox \"{id}\" is not running").ExecuteAsync(context);
            return;
        }

        if (!sockets.Wait(0))
        {
            await ApiError.Result(429, $"{MaxSockets} console sockets are open already").ExecuteAsync(context);
            return;
        }

        try
        {
            var log = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(UiEndpoints).FullName!);
            var size = new PtySize(QueryInt(context, "rows", 24), QueryInt(context, "cols", 80));
            var process = await sandbox.Machine.Agent.StartAsync(ShellRequest(sandbox, size), sandbox.Stopping);
            System.Net.WebSockets.WebSocket socket;
            try
            {
                socket = await context.WebSockets.AcceptWebSocketAsync(UiSocketAccess.Protocol);
            }
            catch
            {
                await process.KillAsync();
                throw;
            }

            using var accepted = socket;
            UiLog.ShellOpened(log, process.Pid, id);
            await PtyBridge.RunAsync(socket, process, log, sandbox.Stopping);
        }
        catch (AgentException e) when (!context.Response.HasStarted)
        {
            await ApiError.Result(502, "could not start a shell: " + e.Message).ExecuteAsync(context);
        }
        catch (OperationCanceledException) when (!context.Response.HasStarted)
        {
            await ApiError.Result(409, $"sandbox \"{id}\" stopped").ExecuteAsync(context);
        }
        finally
        {
            sockets.Release();
        }
    }

    /// <summary>Root's login shell (bash when the image has it) on a pty of <paramref name="size"/>, in /root.</summary>
    private static ExecRequest ShellRequest(IRunningSandbox sandbox, PtySize size)
    {
        var env = new Dictionary<string, string>(sandbox.EnvVars)
        {
            ["TERM"] = "xterm-256color",
            ["HOME"] = "/root",
            ["USER"] = "root",
        };
        return new ExecRequest
        {
            Shell = "if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi",
            Env = env,
            User = "root",
            WorkingDirectory = "/root",
            Pty = size,
            OutputCap = 0,
        };
    }

    private static int QueryInt(HttpContext context, string name, int fallback) =>
        int.TryParse(context.Request.Query[name].ToString(), out var value) && value is >= 1 and <= 1000 ? value : fallback;
}

/// <summary>Answer of <c>GET /ui/config</c>.</summary>
internal sealed record UiConfigBody([property: System.Text.Json.Serialization.JsonPropertyName("keyRequired")] bool KeyRequired);
