using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using Sandbox86.Network;
using Sandbox86.Network.Relay;

namespace Sandbox86.Cli.Commands.Web;

/// <summary>
/// <c>sandbox86 web</c>'s server: a prepared site as static files and, on the same port, the relay's WebSocket
/// endpoint (<c>relay</c> beside the page) with the relay's own access rules and per-connection logic
/// (<see cref="RelayAccessValidator"/>, <see cref="WebSocketPort"/>): each page gets its own network.
/// </summary>
internal static class SiteServer
{
    public const string RelayPath = "/relay";

    public static WebApplication Build(string site, IPEndPoint listen, NetworkOptions network, IReadOnlyList<string> origins)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(listen));
        var app = builder.Build();
        var access = new RelayAccessValidator(null, origins);
        var files = new PhysicalFileProvider(site);
        var types = new FileExtensionContentTypeProvider();
        types.Mappings[".mjs"] = "text/javascript";
        types.Mappings[".wasm"] = "application/wasm";
        app.UseWebSockets();
        var id = 0;
        app.Map(RelayPath, async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }

            var decision = access.Check(context.Request.Headers.Origin.FirstOrDefault(), context.Request.Query["token"].FirstOrDefault(), context.WebSockets.WebSocketRequestedProtocols);
            if (!decision.IsAllowed)
            {
                context.Response.StatusCode = decision.Result == RelayAccessResult.Unauthorized ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden;
                return;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync(decision.Subprotocol);
            await using var net = new VirtualNetwork(network with { Forwards = [] });
            await WebSocketPort.ServeAsync(socket, net, $"page-{Interlocked.Increment(ref id)}", context.RequestAborted);
        });
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        // State parts and chunks have no well-known extension: serve them as bytes.
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            ContentTypeProvider = types,
            ServeUnknownFileTypes = true,
            DefaultContentType = "application/octet-stream",
        });
        return app;
    }
}
