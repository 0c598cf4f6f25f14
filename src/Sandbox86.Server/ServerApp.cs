using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Sandbox86.Server.Envd;

namespace Sandbox86.Server;

/// <summary>
/// Builds the one Kestrel app of <c>sandbox86 serve</c>: requests with <c>E2b-Sandbox-Id</c> go to the envd
/// data plane, all others to the control plane (E2B's REST API).
/// </summary>
internal static class ServerApp
{
    public static WebApplication Build(string[] args, Action<IServiceCollection> configureServices)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        configureServices(builder.Services);
        var app = builder.Build();
        app.MapWhen(
            context => context.Request.Headers.ContainsKey(EnvdEndpoints.SandboxIdHeader),
            envd =>
            {
                envd.UseRouting();
                envd.UseEndpoints(endpoints => endpoints.MapEnvd());
            });
        return app;
    }
}
