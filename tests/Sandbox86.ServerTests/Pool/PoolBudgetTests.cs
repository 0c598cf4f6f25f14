using System.Text;

namespace Sandbox86.ServerTests.Pool;

/// <summary>
/// The pool under the memory budget (the fixture's budget holds exactly three sandboxes, its pool two
/// spares): a burst larger than the pool still creates (the empty pool falls back to a plain restore and
/// gives its spares' memory to sandboxes), and a create past the budget is refused with 429 rather than
/// overcommitted, with the pool counted.
/// </summary>
[Collection(PoolServerGroup.Name)]
public sealed class PoolBudgetTests(PoolServerFixture fixture)
{
    [Fact]
    public async Task A_burst_past_the_pool_still_creates_and_a_create_past_the_budget_is_429()
    {
        await fixture.WaitFullAsync();
        var server = fixture.Server;
        var before = fixture.Pool.PooledCreates;
        var created = await Task.WhenAll(Enumerable.Range(0, PoolServerFixture.BudgetSandboxes).Select(_ => SandboxShell.CreateAsync(server)));
        try
        {
            // Two came from the pool; the third found it empty and restored (the refill waits its delay and, the budget being full, cannot reserve).
            Assert.Equal(before + PoolServerFixture.PoolSize, fixture.Pool.PooledCreates);
            foreach (var sandbox in created)
            {
                Assert.Equal("hi\n", await SandboxShell.RunAsync(server, sandbox, "echo hi"));
            }

            Assert.Equal(0, fixture.Pool.ReservedMemoryMb);
            using var refused = await server.Client.PostAsync("/sandboxes", new StringContent("""{"templateID":"base","timeout":60}""", Encoding.UTF8, "application/json"));
            var text = await refused.Content.ReadAsStringAsync();
            Assert.True(429 == (int)refused.StatusCode, $"a create past the budget: {(int)refused.StatusCode} {text}");
            Assert.Contains("memory budget", text, StringComparison.Ordinal);
            Assert.Equal(0, fixture.Pool.ReservedMemoryMb);
        }
        finally
        {
            foreach (var sandbox in created)
            {
                await SandboxShell.KillAsync(server, sandbox.GetProperty("sandboxID").GetString()!);
            }
        }
    }
}
