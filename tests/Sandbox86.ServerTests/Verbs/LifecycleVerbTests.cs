using System.Text.Json;
using Xunit.Abstractions;

namespace Sandbox86.ServerTests.Verbs;

/// <summary>ps, pause, resume, logs and rm of a sandbox of its own (rm must not take the shared one away).</summary>
[Collection("verbs")]
public sealed class LifecycleVerbTests(VerbsFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Ps_pause_resume_logs_and_rm_behave_like_docker()
    {
        var name = "life-" + Guid.NewGuid().ToString("N")[..6];
        var created = await fixture.RunAsync(["create", "--name", name, "-e", "FROM_CREATE=yes"], timeout: TimeSpan.FromMinutes(10));
        Assert.True(created.ExitCode == 0, created.Stderr);
        var id = created.Stdout.Trim();
        output.WriteLine($"create: {created.Elapsed.TotalMilliseconds:0} ms");
        try
        {
            // A name is unique.
            var twice = await fixture.RunAsync(["create", "--name", name]);
            Assert.NotEqual(0, twice.ExitCode);
            Assert.Contains("already in use", twice.Stderr, StringComparison.Ordinal);

            var ps = await PsAsync(all: false);
            Assert.Equal("running", ps[id].GetProperty("state").GetString());
            Assert.Equal(name, ps[id].GetProperty("name").GetString());
            Assert.Equal(fixture.Name, ps[fixture.Id].GetProperty("name").GetString());

            var write = await fixture.RunAsync(["exec", name, "--", "sh", "-c", "echo \"kept $FROM_CREATE\" > /home/user/keep.txt"]);
            Assert.True(write.ExitCode == 0, write.Stderr);
            var console = await fixture.RunAsync(["exec", "-u", "root", name, "--", "sh", "-c", "echo console-marker-$((6*7)) > /dev/console"]);
            Assert.True(console.ExitCode == 0, console.Stderr);
            var logs = await fixture.RunAsync(["logs", name]);
            Assert.Equal(0, logs.ExitCode);
            Assert.Contains("console-marker-42", logs.Stdout, StringComparison.Ordinal);

            var pause = await fixture.RunAsync(["pause", name]);
            Assert.True(pause.ExitCode == 0, pause.Stderr);
            output.WriteLine($"pause: {pause.Elapsed.TotalMilliseconds:0} ms");
            Assert.False((await PsAsync(all: false)).ContainsKey(id), "ps without -a lists running sandboxes only");
            Assert.Equal("paused", (await PsAsync(all: true))[id].GetProperty("state").GetString());
            var onPaused = await fixture.RunAsync(["exec", name, "--", "true"]);
            Assert.Equal(1, onPaused.ExitCode);
            Assert.Contains("paused", onPaused.Stderr, StringComparison.Ordinal);

            var resume = await fixture.RunAsync(["resume", id]);
            Assert.True(resume.ExitCode == 0, resume.Stderr);
            output.WriteLine($"resume: {resume.Elapsed.TotalMilliseconds:0} ms");
            var read = await fixture.RunAsync(["exec", name, "--", "cat", "/home/user/keep.txt"]);
            Assert.Equal((0, "kept yes\n"), (read.ExitCode, read.Stdout));

            var rm = await fixture.RunAsync(["rm", name]);
            Assert.True(rm.ExitCode == 0, rm.Stderr);
            var afterRm = await fixture.RunAsync(["exec", name, "--", "true"]);
            Assert.Equal(1, afterRm.ExitCode);
            Assert.Single(afterRm.Stderr.Trim().Split('\n'));
            Assert.False((await PsAsync(all: true)).ContainsKey(id));
        }
        finally
        {
            await fixture.RunAsync(["rm", id]);
        }
    }

    private async Task<Dictionary<string, JsonElement>> PsAsync(bool all)
    {
        var r = await fixture.RunAsync(all ? ["ps", "-a", "--json"] : ["ps", "--json"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        return doc.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("id").GetString()!, e => e.Clone());
    }
}
