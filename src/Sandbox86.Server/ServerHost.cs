using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Sandbox86.Server.ControlPlane;
using Sandbox86.Server.Sandboxes;

namespace Sandbox86.Server;

/// <summary>Wires the registry, the control plane and the envd data plane into one app listening on <c>listen</c> (host:port).</summary>
internal static class ServerHost
{
    public static WebApplication Build(ServerOptions options, string listen)
    {
        var app = ServerApp.Build([], services =>
        {
            services.AddSingleton(options);
            services.AddSingleton(new ApiKeyCheck(options.ApiKeys));
            services.AddSingleton<Pool.ServerPool>();
            services.AddHostedService(sp => sp.GetRequiredService<Pool.ServerPool>());
            services.AddSingleton<SandboxRegistry>();
            services.AddSingleton<ISandboxDirectory>(sp => sp.GetRequiredService<SandboxRegistry>());
            services.AddHostedService(sp => sp.GetRequiredService<SandboxRegistry>());
            services.AddSingleton<ControlPlaneGuard>();
            // stdout carries the export lines; logs go to stderr.
            services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            // Machine and network lines carry their sandbox in a scope (SandboxLogger): show it.
            services.Configure<SimpleConsoleFormatterOptions>(o => o.IncludeScopes = true);
            services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "sandbox86 serve: E2B control plane";
                document.Info.Description = "The paths and bodies of E2B's REST API that sandbox86 serves (X-API-Key). envd calls (E2b-Sandbox-Id header) are Connect-RPC and not described here.";
                return Task.CompletedTask;
            }));
            services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(90));
        });
        app.Urls.Add($"http://{listen}");
        Ui.UiEndpoints.MapSandboxUi(app);
        var guard = app.Services.GetRequiredService<ControlPlaneGuard>();
        app.Use(guard.InvokeAsync);
        app.MapControlPlane(options);
        app.MapSandboxLogs();
        Fork.ForkEndpoints.MapFork(app, options);
        app.MapOpenApi();
        return app;
    }
}
