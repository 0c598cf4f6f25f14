using System.Text;
using System.Text.Json;
using Sandbox86.ServerTests.Pool;

namespace Sandbox86.ServerTests.Fork;

/// <summary><c>POST /sandboxes/{id}/fork</c>: children see the parent's files and processes at the fork and share no writable state.</summary>
[Collection(PoolServerGroup.Name)]
public sealed class ForkTests(PoolServerFixture fixture)
{
    [Fact]
    public async Task Forks_see_the_parents_files_and_processes_and_no_one_sees_anothers_later_writes()
    {
        var server = fixture.Server;
        var parent = await SandboxShell.CreateAsync(server);
        var parentId = parent.GetProperty("sandboxID").GetString()!;
        var ids = new List<string> { parentId };
        try
        {
            await SandboxShell.RunAsync(server, parent, "echo before-fork > /home/user/shared; setsid sleep 600 >/dev/null 2>&1 </dev/null & p=$!; echo $p > /home/user/sleeper; " +
                // The agent kills the command's process group when it ends: wait until the sleeper has left it.
                "while [ \"$(cut -d' ' -f6 /proc/$p/stat)\" != \"$p\" ]; do :; done");

            using var response = await server.Client.PostAsync($"/sandboxes/{parentId}/fork", new StringContent("""{"count":2,"timeout":120}""", Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(201 == (int)response.StatusCode, $"fork: {(int)response.StatusCode} {text}");
            var results = JsonDocument.Parse(text).RootElement.EnumerateArray().ToList();
            Assert.Equal(2, results.Count);
            Assert.All(results, r => Assert.False(r.TryGetProperty("error", out _), r.ToString()));
            var children = results.Select(r => r.GetProperty("sandbox").Clone()).ToList();
            ids.AddRange(children.Select(c => c.GetProperty("sandboxID").GetString()!));
            Assert.Equal(3, ids.Distinct().Count());

            foreach (var child in children)
            {
                Assert.Equal("before-fork\n", await SandboxShell.RunAsync(server, child, "cat /home/user/shared"));
                Assert.Equal("alive\n", await SandboxShell.RunAsync(server, child, "kill -0 $(cat /home/user/sleeper) && echo alive"));
            }

            // Each writes its own file after the fork; only the writer sees it.
            var all = new[] { parent }.Concat(children).ToList();
            for (var i = 0; i < all.Count; i++)
            {
                await SandboxShell.RunAsync(server, all[i], $"echo mine > /home/user/after-{i}; echo changed-{i} > /home/user/shared");
            }

            for (var i = 0; i < all.Count; i++)
            {
                var seen = await SandboxShell.RunAsync(server, all[i], "ls /home/user | grep after- | tr '\\n' ' '; cat /home/user/shared");
                Assert.Equal($"after-{i} changed-{i}\n", seen);
            }

            Assert.Equal("alive\n", await SandboxShell.RunAsync(server, parent, "kill -0 $(cat /home/user/sleeper) && echo alive"));
        }
        finally
        {
            foreach (var id in ids)
            {
                await SandboxShell.KillAsync(server, id);
            }
        }
    }

    [Fact]
    public async Task A_fork_of_an_unknown_sandbox_is_404_and_a_bad_count_is_400()
    {
        var server = fixture.Server;
        using var unknown = await server.Client.PostAsync("/sandboxes/nope/fork", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(404, (int)unknown.StatusCode);
        using var bad = await server.Client.PostAsync("/sandboxes/nope/fork", new StringContent("""{"count":0}""", Encoding.UTF8, "application/json"));
        Assert.Equal(400, (int)bad.StatusCode);
    }
}
