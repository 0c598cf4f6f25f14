using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Sandbox86.Images.Store;
using Sandbox86.Machines;
using Sandbox86.Server.Envd;
using Sandbox86.Server.Sandboxes;

namespace Sandbox86.ServerTests.Envd;

/// <summary>The envd endpoints in a real Kestrel on a loopback port, over one real Machine of the default image.</summary>
public sealed class EnvdFixture : IAsyncLifetime
{
    private WebApplication? _app;
    private Machine? _machine;

    internal TestDirectory Directory { get; } = new();

    public Uri BaseUri { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var store = ImageStore.Default;
        Assert.True(store.Exists("default"), "the default image is not built: test.sh builds it with './sandbox86 image build'");
        _machine = await Machine.StartAsync(store.Open("default"), new MachineOptions(), CancellationToken.None);
        Directory.Add(new TestSandbox("sbx-1", _machine, token: null));
        Directory.Add(new TestSandbox("sbx-secure", _machine, token: "secret-token"));
        Directory.Paused.Add("sbx-paused");

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton<ISandboxDirectory>(Directory);
        _app = builder.Build();
        _app.MapEnvd();
        // Test-only stand-in (the pinned SDK creates with POST /v2/sandboxes) for the control plane's create (the lead switches this to the real one):
        // the shape the SDK parses, pointing at our one running sandbox.
        _app.MapPost("/v2/sandboxes", () => Microsoft.AspNetCore.Http.Results.Json(
            new Dictionary<string, object?>
            {
                ["templateID"] = "default", ["sandboxID"] = "sbx-1", ["clientID"] = "local",
                ["envdVersion"] = EnvdVersion.Current, ["envdAccessToken"] = null,
            },
            statusCode: 201));
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUri = new Uri(address);
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        await Directory.DisposeAsync();
        if (_machine is not null)
        {
            await _machine.DisposeAsync();
        }
    }
}
