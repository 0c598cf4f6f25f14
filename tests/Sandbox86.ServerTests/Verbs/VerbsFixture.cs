using Sandbox86.Images.Store;
using Sandbox86.ServerTests.Infrastructure;

namespace Sandbox86.ServerTests.Verbs;

/// <summary>
/// One real server (<see cref="TestServer"/>, loopback) and one sandbox created through the CLI, shared by
/// every verb test class in the "verbs" collection so the suite boots one VM for all of them.
/// </summary>
public sealed class VerbsFixture : IAsyncLifetime
{
    internal TestServer Server { get; private set; } = null!;

    /// <summary>The shared sandbox's name (given with --name) and id (printed by create).</summary>
    public string Name { get; } = "verbs-" + Guid.NewGuid().ToString("N")[..8];

    public string Id { get; private set; } = "";

    internal Dictionary<string, string?> Environment => new()
    {
        ["SANDBOX86_URL"] = Server.Url,
        ["SANDBOX86_API_KEY"] = TestServer.Key,
    };

    public async Task InitializeAsync()
    {
        Assert.True(ImageStore.Default.Exists("default"), "the default image is not built: test.sh builds it with './sandbox86 image build'");
        Server = await TestServer.StartAsync(maxSandboxes: 4);
        var created = await RunAsync(["create", "--name", Name, "--timeout", "1800"], timeout: TimeSpan.FromMinutes(10));
        Assert.True(created.ExitCode == 0, $"create failed ({created.ExitCode}): {created.Stderr}");
        Id = created.Stdout.Trim();
        Assert.Matches("^[a-z0-9]+$", Id);
    }

    internal Task<VerbCli.Result> RunAsync(IEnumerable<string> args, byte[]? stdin = null, TimeSpan? timeout = null) =>
        VerbCli.RunAsync(args, Environment, stdin, timeout);

    public async Task DisposeAsync()
    {
        if (Server is null)
        {
            return;
        }

        if (Id.Length > 0)
        {
            await RunAsync(["rm", Id]);
        }

        await Server.DisposeAsync();
    }
}

/// <summary>The verb tests share one server and one sandbox.</summary>
[CollectionDefinition("verbs")]
public sealed class VerbsGroup : ICollectionFixture<VerbsFixture>
{
}
