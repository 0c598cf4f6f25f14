using Sandbox86.Machines;
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
        // The 5 s bound is a hang detector, not a timing assertion: the request fails when the exit is seen.
        var error = await Assert.ThrowsAsync<WorkerException>(() => worker.GetRssAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)));
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
    public async Task Serial_console_port_and_net_frames_reach_their_queues_and_a_worker_without_ready_times_out()
    {
        await using var worker = await WorkerProcess.StartAsync("python3", Fake("sys.stdin.buffer.read(6); frame(3, b'console'); frame(4, b'\\x01agent'); frame(4, b'\\x02nine-p'); frame(5, b'\\x00' * 60); time.sleep(30)"), TimeSpan.FromSeconds(10), CancellationToken.None);
        var serial = new TaskCompletionSource<string>();
        var net = new TaskCompletionSource<int>();
        using var serialSubscription = worker.Channels.SubscribeSerial(b => serial.TrySetResult(System.Text.Encoding.ASCII.GetString(b.Span)));
        using var netSubscription = worker.Channels.SubscribeNet(b => net.TrySetResult(b.Length));
        // The fake answers only after this frame (5 header bytes + 1), so nothing arrives before the subscriptions exist.
        await worker.SendSerialAsync("x"u8.ToArray(), CancellationToken.None);
        Assert.Equal("console", await serial.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(60, await net.Task.WaitAsync(TimeSpan.FromSeconds(5)));
        // Each virtio-console port has its own queue, selected by the frame's port byte.
        Assert.Equal("agent", System.Text.Encoding.ASCII.GetString((await worker.Channels.ConsolePort(1).ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5))).Span));
        Assert.Equal("nine-p", System.Text.Encoding.ASCII.GetString((await worker.Channels.ConsolePort(2).ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5))).Span));

        var silent = await Assert.ThrowsAsync<WorkerException>(() => WorkerProcess.StartAsync("python3", ["-c", "import time; time.sleep(30)"], TimeSpan.FromSeconds(1), CancellationToken.None));
        Assert.Contains("did not start", silent.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Console_frames_carry_their_port_byte_to_the_worker()
    {
        // The fake echoes the first frame it reads back as a serial frame, so the test sees the exact bytes sent.
        await using var worker = await WorkerProcess.StartAsync("python3", Fake("h = sys.stdin.buffer.read(5); n = struct.unpack('<I', h[:4])[0]; frame(3, h + sys.stdin.buffer.read(n - 1)); time.sleep(30)"), TimeSpan.FromSeconds(10), CancellationToken.None);
        var echoed = new TaskCompletionSource<byte[]>();
        using var subscription = worker.Channels.SubscribeSerial(b => echoed.TrySetResult(b.ToArray()));
        await worker.SendConsoleAsync(3, "hi"u8.ToArray(), CancellationToken.None);
        Assert.Equal(new byte[] { 4, 0, 0, 0, (byte)WorkerFrameType.Console, 3, (byte)'h', (byte)'i' }, await echoed.Task.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task A_console_frame_for_an_unconnected_port_or_without_a_port_fails_the_worker()
    {
        await using var noPort = await WorkerProcess.StartAsync("python3", Fake("frame(4, b''); time.sleep(30)"), TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Contains("without a port", (await noPort.Exited.WaitAsync(TimeSpan.FromSeconds(5))).Message, StringComparison.Ordinal);

        await using var badPort = await WorkerProcess.StartAsync("python3", Fake("frame(4, b'\\x09x'); time.sleep(30)"), TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Contains("port 9", (await badPort.Exited.WaitAsync(TimeSpan.FromSeconds(5))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unexpected_error_in_the_read_loop_fails_the_machine_with_the_reason()
    {
        // An event whose "id" is a string makes the event handler throw something other than an IO error.
        await using var worker = await WorkerProcess.StartAsync("python3", Fake("frame(2, json.dumps({'ev': 'saved', 'id': 1, 'bytes': 'x'}).encode()); frame(2, json.dumps({'ev': 'started', 'restored': 'notabool'}).encode()); time.sleep(30)"), TimeSpan.FromSeconds(10), CancellationToken.None);
        var reason = await worker.Exited.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Contains("reading from the VM worker failed", reason.Message, StringComparison.Ordinal);
        Assert.NotNull(reason.InnerException);
        // The agent's stream sees the same reason instead of waiting forever.
        await using var agentStream = new AgentChannelStream(worker);
        var error = await Assert.ThrowsAsync<WorkerException>(() => agentStream.ReadAsync(new byte[16]).AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Same(reason, error);
    }
}
