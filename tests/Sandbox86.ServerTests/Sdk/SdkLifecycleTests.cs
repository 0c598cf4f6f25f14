using Sandbox86.ServerTests.Infrastructure;

namespace Sandbox86.ServerTests.Sdk;

/// <summary>The unmodified <c>e2b</c> JS SDK driving a real server: every call boots or restores a real VM.</summary>
public sealed class SdkLifecycleTests
{
    [Fact]
    public async Task Create_getInfo_list_setTimeout_pause_connect_kill()
    {
        await using var server = await TestServer.StartAsync();
        var result = await E2bSdk.RunAsync(server, """
            import { Sandbox } from 'e2b'
            const tag = 'lifecycle-' + Date.now()
            const sbx = await Sandbox.create({ timeoutMs: 60_000, metadata: { suite: tag } })
            const info = await sbx.getInfo()
            const other = await Sandbox.list({ query: { metadata: { suite: 'nobody' } } }).nextItems()
            const mine = await Sandbox.list({ query: { metadata: { suite: tag } } }).nextItems()
            await sbx.setTimeout(600_000)
            const extended = await sbx.getInfo()
            const paused = await sbx.pause()
            const pausedAgain = await Sandbox.pause(sbx.sandboxId)
            const pausedList = await Sandbox.list({ query: { state: ['paused'] } }).nextItems()
            const resumed = await Sandbox.connect(sbx.sandboxId, { timeoutMs: 60_000 })
            const afterResume = await resumed.getInfo()
            const killed = await resumed.kill()
            const killedAgain = await Sandbox.kill(sbx.sandboxId)
            console.log(JSON.stringify({
              id: sbx.sandboxId, infoId: info.sandboxId, state: info.state, meta: info.metadata.suite,
              ttl: (info.endAt - info.startedAt) / 1000, extendedTtl: (extended.endAt - Date.now()) / 1000,
              other: other.length, mine: mine.map(s => s.sandboxId),
              paused, pausedAgain, pausedList: pausedList.map(s => s.sandboxId), afterResume: afterResume.state,
              killed, killedAgain }))
            """);
        var id = result.GetProperty("id").GetString();
        Assert.Equal(20, id!.Length);
        Assert.Equal(id, result.GetProperty("infoId").GetString());
        Assert.Equal("running", result.GetProperty("state").GetString());
        Assert.StartsWith("lifecycle-", result.GetProperty("meta").GetString());
        Assert.InRange(result.GetProperty("ttl").GetDouble(), 59, 61);
        Assert.InRange(result.GetProperty("extendedTtl").GetDouble(), 500, 601);
        Assert.Equal(0, result.GetProperty("other").GetInt32());
        Assert.Equal(id, Assert.Single(result.GetProperty("mine").EnumerateArray()).GetString());
        Assert.True(result.GetProperty("paused").GetBoolean());
        Assert.False(result.GetProperty("pausedAgain").GetBoolean());
        Assert.Contains(id, result.GetProperty("pausedList").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("running", result.GetProperty("afterResume").GetString());
        Assert.True(result.GetProperty("killed").GetBoolean());
        Assert.False(result.GetProperty("killedAgain").GetBoolean());
    }

    [Fact]
    public async Task Over_max_sandboxes_is_429_and_a_wrong_key_is_refused()
    {
        await using var server = await TestServer.StartAsync(maxSandboxes: 1);
        var result = await E2bSdk.RunAsync(server, """
            import { Sandbox } from 'e2b'
            const first = await Sandbox.create({ timeoutMs: 60_000 })
            let second = 'created'
            try { await Sandbox.create({ timeoutMs: 60_000 }); } catch (e) { second = e.constructor.name + ': ' + e.message }
            await first.kill()
            console.log(JSON.stringify({ second }))
            """);
        Assert.StartsWith("RateLimitError", result.GetProperty("second").GetString());
        var refused = await E2bSdk.RunAsync(server, """
            import { Sandbox } from 'e2b'
            let outcome = 'listed'
            try { await Sandbox.list().nextItems() } catch (e) { outcome = e.constructor.name }
            console.log(JSON.stringify({ outcome }))
            """, apiKey: "e2b_1111111111111111111111111111111111111111");
        Assert.Equal("AuthenticationError", refused.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task A_sandbox_running_at_shutdown_is_paused_and_resumes_after_restart()
    {
        await using var server = await TestServer.StartAsync();
        var created = await E2bSdk.RunAsync(server, """
            import { Sandbox } from 'e2b'
            const sbx = await Sandbox.create({ timeoutMs: 120_000, metadata: { restart: 'yes' } })
            console.log(JSON.stringify({ id: sbx.sandboxId }))
            """);
        var id = created.GetProperty("id").GetString()!;
        await server.RestartAsync();
        var after = await E2bSdk.RunAsync(server, $$"""
            import { Sandbox } from 'e2b'
            const before = await Sandbox.getInfo('{{id}}')
            const sbx = await Sandbox.connect('{{id}}', { timeoutMs: 60_000 })
            const info = await sbx.getInfo()
            await sbx.kill()
            console.log(JSON.stringify({ before: before.state, after: info.state, meta: info.metadata.restart }))
            """);
        Assert.Equal("paused", after.GetProperty("before").GetString());
        Assert.Equal("running", after.GetProperty("after").GetString());
        Assert.Equal("yes", after.GetProperty("meta").GetString());
    }
}
