using System.Globalization;

namespace Sandbox86.ServerTests.Pool;

/// <summary>Creates through the HTTP API on <c>serve --pool 2</c>: pooled sandboxes work and each has its own identity.</summary>
[Collection(PoolServerGroup.Name)]
public sealed class PooledCreateTests(PoolServerFixture fixture)
{
    [Fact]
    public async Task Two_pooled_creates_work_and_differ_in_mac_hostname_and_entropy_with_the_clock_of_now()
    {
        await fixture.WaitFullAsync();
        var server = fixture.Server;
        var before = fixture.Pool.PooledCreates;
        var first = await SandboxShell.CreateAsync(server);
        var second = await SandboxShell.CreateAsync(server);
        try
        {
            Assert.Equal(before + 2, fixture.Pool.PooledCreates);
            const string Identity = "cat /sys/class/net/eth0/address; hostname; head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \\n'; echo";
            var a = (await SandboxShell.RunAsync(server, first, Identity)).Split('\n');
            var b = (await SandboxShell.RunAsync(server, second, Identity)).Split('\n');
            Assert.NotEqual(a[0], b[0]);
            Assert.NotEqual(a[1], b[1]);
            Assert.Equal(32, a[2].Length);
            Assert.NotEqual(a[2], b[2]);

            var hostBefore = DateTimeOffset.UtcNow;
            var guest = double.Parse((await SandboxShell.RunAsync(server, first, "date +%s.%N")).Trim(), CultureInfo.InvariantCulture);
            var hostAfter = DateTimeOffset.UtcNow;
            var guestTime = DateTimeOffset.FromUnixTimeMilliseconds((long)(guest * 1000));
            Assert.InRange(guestTime, hostBefore.AddSeconds(-1), hostAfter.AddSeconds(1));
        }
        finally
        {
            await SandboxShell.KillAsync(server, first.GetProperty("sandboxID").GetString()!);
            await SandboxShell.KillAsync(server, second.GetProperty("sandboxID").GetString()!);
        }
    }
}
