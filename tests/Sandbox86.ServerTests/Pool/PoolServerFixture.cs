using Sandbox86.Images.Store;
using Sandbox86.Machines;
using Sandbox86.Server.Pool;
using Sandbox86.ServerTests.Infrastructure;

namespace Sandbox86.ServerTests.Pool;

/// <summary>
/// One <c>serve --pool 2</c> on the default image, shared by the pool and fork tests (few VMs, one server).
/// Its memory budget holds <see cref="BudgetSandboxes"/> sandboxes, so the pool has to give its spares'
/// memory back when sandboxes need it (a fork of two, a burst of three); the refill waits 3 s so a burst
/// finds the pool empty.
/// </summary>
public sealed class PoolServerFixture : IAsyncLifetime
{
    public const int PoolSize = 2;

    public const int BudgetSandboxes = 3;

    internal TestServer Server { get; private set; } = null!;

    internal ServerPool Pool => Server.Service<ServerPool>();

    internal int MemoryMb { get; private set; }

    public async Task InitializeAsync()
    {
        Assert.True(ImageStore.Default.Exists("default"), "the default image is not built: test.sh builds it with './sandbox86 image build'");
        MemoryMb = Machine.ResolveMemory(ImageStore.Default.Open("default"), new MachineOptions());
        Server = await TestServer.StartAsync(maxSandboxes: 8, memoryBudgetMb: BudgetSandboxes * MemoryMb, poolSize: PoolSize, poolRefillDelay: TimeSpan.FromSeconds(3));
        await WaitFullAsync();
    }

    /// <summary>Waits until the pool holds <see cref="PoolSize"/> ready machines (a boot snapshot may have to be made first).</summary>
    internal async Task WaitFullAsync()
    {
        var until = DateTime.UtcNow.AddMinutes(4);
        while (Pool.ReadyCount("default", MemoryMb) < PoolSize)
        {
            Assert.True(DateTime.UtcNow < until, "the warm pool did not fill within 4 minutes");
            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class PoolServerGroup : ICollectionFixture<PoolServerFixture>
{
    public const string Name = "pool server";
}
