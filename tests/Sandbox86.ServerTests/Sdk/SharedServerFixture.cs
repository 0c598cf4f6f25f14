using Sandbox86.Images.Store;
using Sandbox86.ServerTests.Infrastructure;

namespace Sandbox86.ServerTests.Sdk;

/// <summary>One real server for a whole test class: each test creates the few sandboxes it needs on it.</summary>
public sealed class SharedServerFixture : IAsyncLifetime
{
    internal TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Assert.True(ImageStore.Default.Exists("default"), "the default image is not built: test.sh builds it with './sandbox86 image build'");
        Server = await TestServer.StartAsync(maxSandboxes: 4);
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
