using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Sandbox86.Guest;

/// <summary>
/// Host side of the guest agent protocol over a duplex byte transport: reading the stream
/// yields guest-to-host bytes, writing sends host-to-guest bytes. One receive loop and one send
/// loop; every call fails promptly with <see cref="AgentException"/> once the transport dies.
/// </summary>
public sealed partial class AgentClient : IAsyncDisposable
{
    // Bulk senders (stdin, file writes) wait while this much is queued, so memory stays bounded.
    private const long QueueHighWater = 256 * 1024;

    private readonly Stream _transport;
    private readonly AgentClientOptions _options;
    private readonly Channel<OutgoingChunk> _outgoing = Channel.CreateUnbounded<OutgoingChunk>(
        new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<uint, IAgentStreamHandler> _handlers = new();
    private readonly SendWindow _window;
    private readonly AgentFrameDecoder _decoder = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly TaskCompletionSource<AgentHello> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _drainLock = new();
    private readonly Task _receiveLoop;
    private readonly Task _sendLoop;
    private TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _queuedBytes;
    private int _nextStream;
    private int _handshakeStarted;
    private readonly HashSet<uint> _helloNonces = [];
    private long _agentErrors;
    private long _streamsOpened;
    private long _pingsStarted;
    private int _pingsOpen;
    private AgentException? _fault;

    /// <summary>Starts the client over <paramref name="transport"/>; call <see cref="WaitReadyAsync"/> next.</summary>
    public AgentClient(Stream transport, AgentClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _transport = transport;
        _options = options ?? new AgentClientOptions();
        _window = new SendWindow(_options.MaxWritesInFlight);
        _receiveLoop = Task.Run(ReceiveLoopAsync);
        _sendLoop = Task.Run(SendLoopAsync);
    }

    /// <summary>Protocol errors the agent reported about bytes it received (stream 0 errors).</summary>
    public long AgentProtocolErrors => Interlocked.Read(ref _agentErrors);

    /// <summary>Bad frames from the guest that were dropped (CRC, version, length).</summary>
    public long FramesDropped => _decoder.FramesDropped;

    /// <summary>Flow-control state for diagnostics: bytes queued to send and bytes awaiting credit.</summary>
    internal string DebugState => $"queued={Interlocked.Read(ref _queuedBytes)} inflight={_window.InFlight} send={_sendState} handlers={_handlers.Count} agentErrors={AgentProtocolErrors} last={LastAgentError} dropped={FramesDropped} fault={_fault?.Message}";

    private volatile string _sendState = "idle";


    /// <summary>The last stream-0 error message from the agent, for diagnostics.</summary>
    public string? LastAgentError { get; private set; }

    /// <summary>Waits for the agent's hello, repeating the request until it answers.</summary>
    public async Task<AgentHello> WaitReadyAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfFaulted();
        if (Interlocked.Exchange(ref _handshakeStarted, 1) == 0)
        {
            _ = Task.Run(HandshakeAsync, CancellationToken.None);
        }

        return await _ready.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Round trip to the agent (no work on its side beyond parsing).</summary>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken = default)
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        // Counted apart: a watchdog's pings are not use, so they must not keep an idle machine awake.
        Interlocked.Increment(ref _pingsStarted);
        Interlocked.Increment(ref _pingsOpen);
        try
        {
            await RequestAsync(AgentMessageType.Ping, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _pingsOpen);
        }

        return System.Diagnostics.Stopwatch.GetElapsedTime(start);
    }

    /// <summary>
    /// Calls other than pings: how many were ever opened (requests, commands, transfers) and how many are
    /// open now (a running command stays open until it exits); idle suspension reads both.
    /// </summary>
    internal (long Opened, int Open) CallActivity =>
        (Interlocked.Read(ref _streamsOpened) - Interlocked.Read(ref _pingsStarted), _handlers.Count - Volatile.Read(ref _pingsOpen));

    /// <summary>Stops both loops, fails pending calls and (unless LeaveOpen) disposes the transport.</summary>
    public async ValueTask DisposeAsync()
    {
        Shutdown(new AgentException("agent client disposed"));
        if (!_options.LeaveOpen)
        {
            await _transport.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            await Task.WhenAll(_receiveLoop, _sendLoop).WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A transport whose reads ignore both cancellation and disposal; nothing more to do.
        }

        _shutdown.Dispose();
    }

    /// <summary>Sends raw bytes through the flow-controlled path (tests inject corrupt frames with it).</summary>
    internal void SendRaw(byte[] bytes) => Enqueue(bytes);

    internal uint NextStream()
    {
        var id = (uint)Interlocked.Increment(ref _nextStream);
        return id == 0 ? (uint)Interlocked.Increment(ref _nextStream) : id;
    }

    internal void Send(AgentMessageType type, uint stream, ReadOnlyMemory<byte> payload) =>
        Enqueue(new AgentFrame(type, stream, payload).ToArray());

    /// <summary>Grants output credit; silently nothing once the channel is down (called from the receive loop).</summary>
    internal void SendCredit(uint stream, int bytes)
    {
        if (bytes <= 0)
        {
            return;
        }

        var payload = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(payload, (uint)bytes);
        SendQuietly(AgentMessageType.Credit, stream, payload);
    }

    /// <summary>Best-effort send that never throws: for credits, aborts and other housekeeping.</summary>
    internal void SendQuietly(AgentMessageType type, uint stream, ReadOnlyMemory<byte> payload = default)
    {
        if (_fault is not null)
        {
            return;
        }

        var bytes = new AgentFrame(type, stream, payload).ToArray();
        Interlocked.Add(ref _queuedBytes, bytes.Length);
        _outgoing.Writer.TryWrite(new OutgoingChunk(bytes, Unmetered: false));
    }

    internal void Register(uint stream, IAgentStreamHandler handler)
    {
        Interlocked.Increment(ref _streamsOpened);
        _handlers[stream] = handler;
        // Shutdown may have swept the table just before the add; make sure this one hears about it.
        if (_fault is { } fault && _handlers.TryRemove(stream, out _))
        {
            handler.OnFault(fault);
        }
    }

    internal void Unregister(uint stream) => _handlers.TryRemove(stream, out _);

    internal async Task EnsureReadyAsync(CancellationToken cancellationToken)
    {
        if (!_ready.Task.IsCompletedSuccessfully)
        {
            await WaitReadyAsync(cancellationToken).ConfigureAwait(false);
        }

        ThrowIfFaulted();
    }

    internal async Task<AgentFrame> RequestAsync(AgentMessageType type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var (frame, _) = await RequestWithEntriesAsync(type, payload, cancellationToken).ConfigureAwait(false);
        return frame;
    }

    internal async Task<(AgentFrame Reply, IReadOnlyList<ReadOnlyMemory<byte>> Entries)> RequestWithEntriesAsync(
        AgentMessageType type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        await EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        var stream = NextStream();
        var handler = new ReplyHandler();
        Register(stream, handler);
        try
        {
            Send(type, stream, payload);
            var reply = await handler.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return (reply, handler.Entries);
        }
        finally
        {
            Unregister(stream);
        }
    }

    /// <summary>Waits until the send queue is below the high-water mark (backpressure for bulk data).</summary>
    internal async Task WaitForQueueRoomAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ThrowIfFaulted();
            Task wait;
            lock (_drainLock)
            {
                if (Interlocked.Read(ref _queuedBytes) < QueueHighWater)
                {
                    return;
                }

                wait = _drained.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    internal void ThrowIfFaulted()
    {
        if (_fault is { } fault)
        {
            throw new AgentException(fault.Message, fault);
        }
    }

    private void Enqueue(byte[] bytes, bool unmetered = false)
    {
        ThrowIfFaulted();
        Interlocked.Add(ref _queuedBytes, bytes.Length);
        if (!_outgoing.Writer.TryWrite(new OutgoingChunk(bytes, unmetered)))
        {
            ThrowIfFaulted();
            throw new AgentException("agent channel is closed");
        }
    }

    /// <summary>Completed when an agent announces itself before the handshake is done: ask again now.</summary>
    private TaskCompletionSource _helloNudge = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void NudgeHandshake() =>
        Interlocked.Exchange(ref _helloNudge, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private async Task HandshakeAsync()
    {
        try
        {
            while (!_ready.Task.IsCompleted && !_shutdown.IsCancellationRequested)
            {
                // Hello requests bypass the window: before the hello nothing is known about it, and the
                // agent restarts its count after each one, so these bytes are never credited. Under the
                // lock OnHello takes, so no request can be queued behind the first counted byte.
                lock (_helloNonces)
                {
                    if (_ready.Task.IsCompleted)
                    {
                        break;
                    }

                    var nonce = NextStream();
                    _helloNonces.Add(nonce);
                    Enqueue(new AgentFrame(AgentMessageType.HelloRequest, nonce, ReadOnlyMemory<byte>.Empty).ToArray(), unmetered: true);
                }

                var nudge = Volatile.Read(ref _helloNudge).Task;
                var retry = Task.Delay(_options.HelloRetryInterval, _shutdown.Token);
                // Agent not up yet (or the request was dropped by a guest with no buffers posted): ask
                // again after the interval, or at once when the agent announces it has just started.
                await Task.WhenAny(_ready.Task, retry, nudge).ConfigureAwait(false);
                _shutdown.Token.ThrowIfCancellationRequested();
            }
        }
        catch (OperationCanceledException)
        {
            // Shut down while waiting; Shutdown already failed _ready.
        }
        catch (AgentException)
        {
            // Transport died; Shutdown already failed _ready.
        }
    }
}
