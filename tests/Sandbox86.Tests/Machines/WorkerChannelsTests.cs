using Sandbox86.Machines.Worker;

namespace Sandbox86.Tests.Machines;

/// <summary>
/// The per-channel queues behind the worker's read loop: a stuck observer loses its own data (counted)
/// and never holds up the agent's port; the agent's port never loses a byte and pushes back instead.
/// </summary>
public sealed class WorkerChannelsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Stuck_serial_and_net_observers_drop_and_count_while_the_agent_port_still_flows()
    {
        var channels = new WorkerChannels([WorkerConsolePorts.Agent]);
        using var release = new ManualResetEventSlim();
        using var serial = channels.SubscribeSerial(_ => release.Wait());
        using var net = channels.SubscribeNet(_ => release.Wait());
        long fastSerial = 0;
        using var fast = channels.SubscribeSerial(b => Interlocked.Add(ref fastSerial, b.Length));

        const int Chunks = 10_000;
        var chunk = new byte[1000];
        for (var i = 0; i < Chunks; i++)
        {
            channels.OnSerial(chunk);
            channels.OnNet(chunk);
        }

        // The read loop never waited on them, and the agent's bytes get through at once.
        await channels.OnConsoleAsync(WorkerConsolePorts.Agent, "hello"u8.ToArray(), CancellationToken.None).AsTask().WaitAsync(Timeout);
        var read = await channels.ConsolePort(WorkerConsolePorts.Agent).ReadAsync().AsTask().WaitAsync(Timeout);
        Assert.Equal("hello"u8.ToArray(), read.ToArray());

        // The stuck observers hold at most their queue (plus the one item in hand); the rest is counted as lost.
        Assert.InRange(serial.DroppedItems, Chunks - WorkerChannels.SerialQueueChunks - 1, Chunks - WorkerChannels.SerialQueueChunks);
        Assert.InRange(net.DroppedItems, Chunks - WorkerChannels.NetQueueFrames - 1, Chunks - WorkerChannels.NetQueueFrames);
        Assert.Equal(net.DroppedItems, channels.NetFramesDropped);
        Assert.True(channels.SerialBytesDropped >= serial.DroppedBytes);
        // The tail is fed inline: it has the newest bytes whatever the observers do.
        channels.OnSerial("end of flood"u8.ToArray());
        Assert.EndsWith("end of flood", channels.SerialTail.ToString(), StringComparison.Ordinal);
        release.Set();
        channels.Complete(new WorkerException("done"));
        await fast.Completion.WaitAsync(Timeout);
        Assert.True(Interlocked.Read(ref fastSerial) > 0);
    }

    [Fact]
    public async Task A_full_console_port_pushes_back_on_the_read_loop_and_loses_nothing()
    {
        var channels = new WorkerChannels([WorkerConsolePorts.Agent]);
        for (var i = 0; i < WorkerChannels.ConsoleQueueChunks; i++)
        {
            await channels.OnConsoleAsync(WorkerConsolePorts.Agent, BitConverter.GetBytes(i), CancellationToken.None);
        }

        var blocked = channels.OnConsoleAsync(WorkerConsolePorts.Agent, BitConverter.GetBytes(WorkerChannels.ConsoleQueueChunks), CancellationToken.None).AsTask();
        await Task.Delay(200);
        Assert.False(blocked.IsCompleted, "a full agent queue must make the read loop wait, not drop");

        var reader = channels.ConsolePort(WorkerConsolePorts.Agent);
        for (var i = 0; i <= WorkerChannels.ConsoleQueueChunks; i++)
        {
            var item = await reader.ReadAsync().AsTask().WaitAsync(Timeout);
            Assert.Equal(i, BitConverter.ToInt32(item.Span));
        }

        await blocked.WaitAsync(Timeout);
    }

    [Fact]
    public async Task A_large_console_payload_is_queued_in_bounded_slices_in_order()
    {
        var channels = new WorkerChannels([2]);
        var payload = Enumerable.Range(0, (3 * WorkerChannels.MaxChunk) + 5).Select(i => (byte)i).ToArray();
        await channels.OnConsoleAsync(2, payload, CancellationToken.None);
        channels.Complete(new WorkerException("done"));
        var slices = new List<byte[]>();
        var reader = channels.ConsolePort(2);
        while (reader.TryRead(out var slice))
        {
            slices.Add(slice.ToArray());
        }

        Assert.Equal(4, slices.Count);
        Assert.All(slices, s => Assert.True(s.Length <= WorkerChannels.MaxChunk));
        Assert.Equal(payload, slices.SelectMany(s => s).ToArray());
    }

    [Fact]
    public async Task The_exit_reason_reaches_console_readers_and_observers_finish_what_was_queued()
    {
        var channels = new WorkerChannels([WorkerConsolePorts.Agent]);
        var seen = new List<string>();
        using var observer = channels.SubscribeSerial(b => { lock (seen) { seen.Add(System.Text.Encoding.ASCII.GetString(b.Span)); } });
        channels.OnSerial("Kernel panic - not syncing\n"u8.ToArray());
        var reason = new WorkerException("the VM worker exited (code 1)");
        channels.Complete(reason);
        channels.Complete(new WorkerException("second call is ignored"));

        await observer.Completion.WaitAsync(Timeout);
        Assert.Equal(["Kernel panic - not syncing\n"], seen);
        Assert.True(channels.SerialTail.Panicked.IsCompleted);
        var error = await Assert.ThrowsAsync<WorkerException>(() => channels.ConsolePort(WorkerConsolePorts.Agent).WaitToReadAsync().AsTask().WaitAsync(Timeout));
        Assert.Same(reason, error);
        // Bytes for a port nobody connected are a protocol error, not a silent drop.
        await Assert.ThrowsAsync<WorkerException>(() => channels.OnConsoleAsync(3, new byte[1], CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task A_throwing_observer_ends_only_its_own_subscription()
    {
        var channels = new WorkerChannels([WorkerConsolePorts.Agent]);
        using var broken = channels.SubscribeNet(_ => throw new InvalidOperationException("observer bug"));
        var frames = 0;
        using var healthy = channels.SubscribeNet(_ => Interlocked.Increment(ref frames));
        channels.OnNet(new byte[60]);
        await Assert.ThrowsAsync<InvalidOperationException>(() => broken.Completion.WaitAsync(Timeout));
        channels.OnNet(new byte[60]);
        channels.Complete(new WorkerException("done"));
        await healthy.Completion.WaitAsync(Timeout);
        Assert.Equal(2, frames);
    }

    [Fact]
    public async Task An_unsubscribed_observer_is_not_called_again()
    {
        var channels = new WorkerChannels([WorkerConsolePorts.Agent]);
        var calls = 0;
        var subscription = channels.SubscribeSerial(_ => Interlocked.Increment(ref calls));
        channels.OnSerial(new byte[1]);
        await Task.Delay(100);
        subscription.Dispose();
        var before = Volatile.Read(ref calls);
        channels.OnSerial(new byte[1]);
        await Task.Delay(100);
        Assert.Equal(1, before);
        Assert.Equal(before, Volatile.Read(ref calls));
    }
}
