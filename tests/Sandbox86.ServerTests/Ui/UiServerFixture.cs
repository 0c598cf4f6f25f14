using Sandbox86.ServerTests.Infrastructure;
using Sandbox86.ServerTests.Pool;

namespace Sandbox86.ServerTests.Ui;

/// <summary>One real server (with a key) and one running sandbox, shared by the console's PTY tests.</summary>
public sealed class UiServerFixture : IAsyncLifetime
{
    internal TestServer Server { get; private set; } = null!;

    public string SandboxId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Server = await TestServer.StartAsync();
        SandboxId = (await SandboxShell.CreateAsync(Server)).GetProperty("sandboxID").GetString()!;
    }

    internal Task<PtySocket> OpenAsync(int cols = 80, int rows = 24) => PtySocket.OpenAsync(Server.Url, SandboxId, TestServer.Key, cols, rows);

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
