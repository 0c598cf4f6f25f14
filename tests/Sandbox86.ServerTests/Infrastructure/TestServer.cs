using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Sandbox86.Server;
using Sandbox86.Server.Sandboxes;

namespace Sandbox86.ServerTests.Infrastructure;

/// <summary>A real <c>sandbox86 serve</c> app on a free loopback port with its own data directory.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private WebApplication? _app;

    private TestServer(ServerOptions options, int port)
    {
        Options = options;
        Url = $"http://127.0.0.1:{port}";
        Client = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromMinutes(3) };
        Client.DefaultRequestHeaders.Add("X-API-Key", Key);
    }

    public const string Key = "e2b_0123456789abcdef0123456789abcdef01234567";

    public ServerOptions Options { get; }

    public string Url { get; }

    public HttpClient Client { get; }

    /// <summary>The running app's registry (the server is in the test process).</summary>
    public SandboxRegistry Registry => (_app ?? throw new InvalidOperationException("server is stopped")).Services.GetRequiredService<SandboxRegistry>();

    public static async Task<TestServer> StartAsync(string? dataDirectory = null, int maxSandboxes = 4, int memoryBudgetMb = 4096, string[]? keys = null, int poolSize = 0, TimeSpan? poolRefillDelay = null, string[]? mountRoots = null)
    {
        var data = dataDirectory ?? Directory.CreateTempSubdirectory("sandbox86-serve-").FullName;
        var options = new ServerOptions { DataDirectory = data, MaxSandboxes = maxSandboxes, MemoryBudgetMb = memoryBudgetMb, ApiKeys = keys ?? [Key], PoolSize = poolSize, PoolRefillDelay = poolRefillDelay ?? TimeSpan.FromSeconds(1), MountRoots = mountRoots ?? [] };
        var server = new TestServer(options, FreePort());
        await server.RestartAsync();
        return server;
    }

    /// <summary>Stops the app (pausing running sandboxes to disk) and starts a new one on the same port and data.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        _app = ServerHost.Build(Options, Url["http://".Length..]);
        await _app.StartAsync();
    }

    /// <summary>A service of the running app (tests read the warm pool's state).</summary>
    public T Service<T>()
        where T : notnull =>
        (T)(_app ?? throw new InvalidOperationException("the server is not running")).Services.GetService(typeof(T))!;

    public async Task StopAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Killed rather than paused at stop: a killed sandbox drops its image pin, and the data goes below.
        if (_app is not null)
        {
            foreach (var entry in Registry.List())
            {
                try
                {
                    await Registry.KillAsync(entry.SandboxId);
                }
                catch (SandboxException)
                {
                }
            }
        }

        await StopAsync();
        Client.Dispose();
        try
        {
            Directory.Delete(Options.DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
