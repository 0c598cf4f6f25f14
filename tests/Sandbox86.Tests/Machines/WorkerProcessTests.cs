using System.Diagnostics;
using Sandbox86.Machines.Worker;

namespace Sandbox86.Tests.Machines;

/// <summary>
/// The host side of the worker pipe against scripted fake workers (python3 on the host): whatever a
/// worker sends, the host fails cleanly and promptly — never hangs, never trusts a length.
/// </summary>
public sealed class WorkerProcessTests
{
    // Emits the ready event exactly as worker.mjs frames it, then runs the given Python lines.
    private static string[] Fake(string afterReady) =>
    [
        "-c",
        "import sys, struct, json, time\n" +
        "out = sys.stdout.buffer\n" +
        "def frame(t, p):\n    out.write(struct.pack('<IB', len(p) + 1, t) + p); out.flush()\n" +
        "frame(2, json.dumps({'ev': 'ready'}).encode())\n" +
        afterReady,
    ];

    [Fact]
    public async Task A_frame_length_beyond_the_limit_kills_the_worker_with_a_clear_reason()
    {
        await using var worker = await WorkerProcess.StartAsync("python3", Fake("out.write(struct.pack('<IB', 0x7fffffff, 4)); out.flush(); time.sleep(30)"), TimeSpan.FromSeconds(10), CancellationToken.None);
        var reason = await worker.Exited.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Contains("bad frame length", reason.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_worker_that_exits_fails_pending_requests_at_once_with_its_stderr()
    {
        await using var worker = await WorkerProcess.StartAsync("python3", Fake("sys.stdin.buffer.read(5); sys.stderr.write('boom: out of memory\\n'); sys.exit(3)"), TimeSpan.FromSeconds(10), CancellationToken.None);
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<WorkerException>(() => worker.GetRssAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
        Assert.Contains("exited (code 3)", error.Message, StringComparison.Ordinal);
        Assert.Contains("boom: out of memory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Garbage_events_and_unknown_frame_types_end_the_worker_instead_of_confusing_the_host()
    {
        await using var garbage = await WorkerProcess.StartAsync("python3", Fake("frame(2, b'{not json'); time.sleep(30)"), TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Contains("unparsable event", (await garbage.Exited.WaitAsync(TimeSpan.FromSeconds(5))).Message, StringComparison.Ordinal);

        await using var unknown = await WorkerProcess.StartAsync("python3", Fake("frame(99, b'x'); time.sleep(30)"), TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Contains("unknown frame type 99", (await unknown.Exited.WaitAsync(TimeSpan.FromSeconds(5))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serial_agent_and_net_frames_reach_their_events_and_a_worker_without_ready_times_out()
    {
        await using var worker = await WorkerProcess.StartAsync("python3", Fake("sys.stdin.buffer.read(6); frame(3, b'console'); frame(4, b'agent'); frame(5, b'\\x00' * 60); time.sleep(30)"), TimeSpan.FromSeconds(10), CancellationToken.None);
        var serial = new TaskCompletionSource<string>();
        var agent = new TaskCompletionSource<string>();
        var net = new TaskCompletionSource<int>();
        worker.SerialReceived += b => serial.TrySetResult(System.Text.Encoding.ASCII.GetString(b.Span));
        worker.AgentReceived += b => agent.TrySetResult(System.Text.Encoding.ASCII.GetString(b.Span));
        worker.NetReceived += b => net.TrySetResult(b.Length);
        // The fake answers only after this frame (5 header bytes + 1), so no event fires before the handlers exist.
        await worker.SendSerialAsync("x"u8.ToArray(), CancellationToken.None);
        Assert.Equal("console", await serial.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal("agent", await agent.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(60, await net.Task.WaitAsync(TimeSpan.FromSeconds(5)));

        var silent = await Assert.ThrowsAsync<WorkerException>(() => WorkerProcess.StartAsync("python3", ["-c", "import time; time.sleep(30)"], TimeSpan.FromSeconds(1), CancellationToken.None));
        Assert.Contains("did not start", silent.Message, StringComparison.Ordinal);
    }
}
