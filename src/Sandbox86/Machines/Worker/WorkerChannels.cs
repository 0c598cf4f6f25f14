using System.Collections.Immutable;
using System.Threading.Channels;

namespace Sandbox86.Machines.Worker;

/// <summary>
/// Where the worker's read loop puts what the guest produced: one bounded queue per channel (and per
/// observer), each drained by its own consumer task, so no consumer runs on the read loop and a slow one
/// cannot stall exec. What a full queue does is chosen per channel:
/// <list type="bullet">
/// <item><b>Console ports (the agent)</b>: backpressure, never loss. The read loop waits for room; the
/// pipe then fills, the worker queues (bounded) and past its bound pauses the guest. Losing agent bytes
/// would corrupt its framing, and an honest agent stays far below the bound anyway: it only sends what
/// the host's credit windows allow (agent/PROTOCOL.md).</item>
/// <item><b>Net</b>: each observer's queue drops the arriving frame and counts it, as a NIC whose receive
/// ring is full does; TCP retransmits, UDP was never promised.</item>
/// <item><b>Serial</b>: the <see cref="SerialTail"/> (error messages, panic detection) is fed inline — a
/// fixed ring, no callouts — so it always holds the newest bytes; every other observer (a terminal, a
/// browser console) gets a queue that drops its oldest chunks and counts the bytes.</item>
/// </list>
/// </summary>
internal sealed class WorkerChannels
{
    /// <summary>Payloads are queued in slices of at most this, so a queue's bound in items is a bound in bytes.</summary>
    internal const int MaxChunk = 64 * 1024;

    /// <summary>Per console port: at most 16 MiB. The agent's windows are 64 KiB-ish per stream.</summary>
    internal const int ConsoleQueueChunks = 256;

    /// <summary>Per serial observer: the worker batches console bytes per event-loop tick, so chunks are small.</summary>
    internal const int SerialQueueChunks = 256;

    /// <summary>Per net observer: ~1.5 MB of 1514-byte frames, a generous NIC ring.</summary>
    internal const int NetQueueFrames = 1024;

    private readonly Dictionary<int, Channel<ReadOnlyMemory<byte>>> _consolePorts;
    private readonly object _gate = new();
    private ImmutableArray<WorkerSubscription> _serial = [];
    private ImmutableArray<WorkerSubscription> _net = [];
    private long _serialBytesDropped;
    private long _netFramesDropped;
    private bool _completed;

    public WorkerChannels(IEnumerable<int> consolePorts)
    {
        _consolePorts = consolePorts.Distinct().ToDictionary(p => p, _ => Channel.CreateBounded<ReadOnlyMemory<byte>>(
            new BoundedChannelOptions(ConsoleQueueChunks) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true, SingleWriter = true }));
    }

    public SerialTail SerialTail { get; } = new();

    /// <summary>Console bytes lost by observers that fell behind (those still subscribed and those gone).</summary>
    public long SerialBytesDropped => Interlocked.Read(ref _serialBytesDropped) + _serial.Sum(s => s.DroppedBytes);

    /// <summary>Guest frames lost by observers that fell behind.</summary>
    public long NetFramesDropped => Interlocked.Read(ref _netFramesDropped) + _net.Sum(s => s.DroppedItems);

    /// <summary>The inbound bytes of one virtio-console port (one reader). Completes with the worker's exit reason.</summary>
    public ChannelReader<ReadOnlyMemory<byte>> ConsolePort(int port) =>
        _consolePorts.TryGetValue(port, out var channel) ? channel.Reader : throw new ArgumentOutOfRangeException(nameof(port), port, "virtio-console port not configured");

    /// <summary>Calls <paramref name="handler"/> on its own task for every serial chunk; dispose to stop.</summary>
    public WorkerSubscription SubscribeSerial(Action<ReadOnlyMemory<byte>> handler) =>
        Subscribe(serial: true, handler, SerialQueueChunks, BoundedChannelFullMode.DropOldest);

    /// <summary>Calls <paramref name="handler"/> on its own task for every guest Ethernet frame; dispose to stop.</summary>
    public WorkerSubscription SubscribeNet(Action<ReadOnlyMemory<byte>> handler) =>
        Subscribe(serial: false, handler, NetQueueFrames, BoundedChannelFullMode.DropWrite);

    private WorkerSubscription Subscribe(bool serial, Action<ReadOnlyMemory<byte>> handler, int capacity, BoundedChannelFullMode mode)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var subscription = new WorkerSubscription(handler, capacity, mode, Detach);
        lock (_gate)
        {
            if (_completed)
            {
                subscription.Complete();
            }
            else if (serial)
            {
                _serial = _serial.Add(subscription);
            }
            else
            {
                _net = _net.Add(subscription);
            }
        }

        return subscription;

        void Detach(WorkerSubscription gone)
        {
            lock (_gate)
            {
                ref var from = ref serial ? ref _serial : ref _net;
                if (from.Contains(gone))
                {
                    from = from.Remove(gone);
                    // Keep its losses in the totals.
                    Interlocked.Add(ref serial ? ref _serialBytesDropped : ref _netFramesDropped, serial ? gone.DroppedBytes : gone.DroppedItems);
                }
            }
        }
    }

    /// <summary>Read loop: serial bytes. Never blocks.</summary>
    public void OnSerial(ReadOnlyMemory<byte> bytes)
    {
        SerialTail.Append(bytes.Span);
        var observers = _serial;
        foreach (var observer in observers)
        {
            for (var offset = 0; offset < bytes.Length; offset += MaxChunk)
            {
                observer.Post(bytes.Slice(offset, Math.Min(MaxChunk, bytes.Length - offset)));
            }
        }
    }

    /// <summary>Read loop: one guest frame. Never blocks.</summary>
    public void OnNet(ReadOnlyMemory<byte> frame)
    {
        foreach (var observer in _net)
        {
            observer.Post(frame);
        }
    }

    /// <summary>Read loop: bytes of a console port. Waits while that port's queue is full (backpressure).</summary>
    public async ValueTask OnConsoleAsync(int port, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        if (!_consolePorts.TryGetValue(port, out var channel))
        {
            throw new WorkerException($"the VM worker sent bytes for virtio-console port {port}, which is not connected");
        }

        try
        {
            for (var offset = 0; offset < bytes.Length; offset += MaxChunk)
            {
                await channel.Writer.WriteAsync(bytes.Slice(offset, Math.Min(MaxChunk, bytes.Length - offset)), cancellationToken);
            }
        }
        catch (ChannelClosedException)
        {
            // Completed during shutdown: nobody will read these bytes.
        }
    }

    /// <summary>
    /// The worker is gone: console readers see <paramref name="reason"/> once their queue is empty;
    /// observers handle what is queued (a panic's last lines) and end. Idempotent.
    /// </summary>
    public void Complete(Exception reason)
    {
        ImmutableArray<WorkerSubscription> observers;
        lock (_gate)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            observers = _serial.AddRange(_net);
        }

        foreach (var channel in _consolePorts.Values)
        {
            channel.Writer.TryComplete(reason);
        }

        foreach (var observer in observers)
        {
            observer.Complete();
        }
    }
}
