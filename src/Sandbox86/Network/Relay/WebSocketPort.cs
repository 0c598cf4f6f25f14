using System.Net.WebSockets;
using System.Threading.Channels;

namespace Sandbox86.Network.Relay;

/// <summary>
/// Serves one already-accepted <see cref="WebSocket"/> as a port of a <see cref="VirtualNetwork"/>, in v86's relay
/// protocol: every binary message is exactly one Ethernet II frame, both ways. Works with any WebSocket (the relay's
/// own listener, an ASP.NET Core endpoint's <c>AcceptWebSocketAsync</c>, <see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/>).
/// One receive loop, one send loop, one idempotent <see cref="Shutdown"/>; the caller keeps owning the WebSocket.
/// </summary>
/// <example>
/// From an ASP.NET Core endpoint, with the same checks as the built-in listener:
/// <code>
/// app.Map("/relay", async (HttpContext http) =>
/// {
///     var decision = access.Check(http.Request.Headers.Origin, http.Request.Query["token"], http.WebSockets.WebSocketRequestedProtocols);
///     if (!http.WebSockets.IsWebSocketRequest || !decision.IsAllowed)
///     {
///         http.Response.StatusCode = decision.IsAllowed ? 400 : decision.StatusCode;
///         return;
///     }
///
///     using var ws = await http.WebSockets.AcceptWebSocketAsync(decision.Subprotocol);
///     await WebSocketPort.ServeAsync(ws, network, http.TraceIdentifier, http.RequestAborted);
/// });
/// </code>
/// </example>
public sealed class WebSocketPort : IAsyncDisposable
{
    /// <summary>The largest message taken as a frame: a 64 KiB IP packet plus the Ethernet header.</summary>
    public const int MaxFrameLength = 65535 + 14;

    // Small: the port's own bounded queue in front of it is where a slow client loses frames.
    private const int SendQueueCapacity = 64;

    private readonly WebSocket _socket;
    private readonly VirtualNetwork _network;
    private readonly string _name;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Channel<ReadOnlyMemory<byte>> _outbound = Channel.CreateBounded<ReadOnlyMemory<byte>>(
        new BoundedChannelOptions(SendQueueCapacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private INetworkPort? _port;
    private string? _shutdownReason;
    private int _started;

    /// <summary>Prepares to serve <paramref name="socket"/> as port <paramref name="name"/> of <paramref name="network"/>.</summary>
    public WebSocketPort(WebSocket socket, VirtualNetwork network, string name)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrEmpty(name);
        _socket = socket;
        _network = network;
        _name = name;
    }

    /// <summary>Serves <paramref name="socket"/> until it closes, fails or <paramref name="cancellationToken"/> fires.</summary>
    public static async Task ServeAsync(WebSocket socket, VirtualNetwork network, string name, CancellationToken cancellationToken)
    {
        await using var port = new WebSocketPort(socket, network, name);
        await port.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Why the session ended (null while it runs).</summary>
    public string? ShutdownReason => Volatile.Read(ref _shutdownReason);

    /// <summary>The switch port's counters, once running.</summary>
    public PortCounters? Counters => _port?.Counters;

    /// <summary>
    /// Attaches to the network and runs both loops until the peer closes, a loop fails, <see cref="Shutdown"/> is called
    /// or <paramref name="cancellationToken"/> fires; then detaches. Never throws for what the client does.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("A WebSocketPort runs once.");
        }

        using var onCancel = cancellationToken.Register(() => Shutdown("cancelled"));
        _port = _network.AttachPort(_name, EnqueueAsync);
        try
        {
            var token = _shutdown.Token;
            await Task.WhenAll(ReceiveLoopAsync(token), SendLoopAsync(token)).ConfigureAwait(false);
        }
        finally
        {
            await _port.DisposeAsync().ConfigureAwait(false);
            if (_socket.State is not (WebSocketState.Closed or WebSocketState.Aborted or WebSocketState.CloseSent))
            {
                // Ended by us or by an error: don't leave the peer waiting for frames that will never come.
                _socket.Abort();
            }
        }
    }

    /// <summary>Stops both loops. Idempotent and non-blocking: the first reason wins.</summary>
    public void Shutdown(string reason)
    {
        if (Interlocked.CompareExchange(ref _shutdownReason, reason, null) is not null)
        {
            return;
        }

        _outbound.Writer.TryComplete();
        _shutdown.Cancel();
    }

    // The switch port's pump calls this one frame at a time: waiting here is backpressure into the port's queue.
    private ValueTask EnqueueAsync(ReadOnlyMemory<byte> frame) => _outbound.Writer.WriteAsync(frame, _shutdown.Token);

    private async Task ReceiveLoopAsync(CancellationToken token)
    {
        var buf = new byte[MaxFrameLength];
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var length = 0;
                var oversize = false;
                ValueWebSocketReceiveResult r;
                do
                {
                    if (length == buf.Length)
                    {
                        // Keep draining the message but forget it: one frame per message, and no frame is this big.
                        oversize = true;
                        length = 0;
                    }

                    r = await _socket.ReceiveAsync(buf.AsMemory(length), token).ConfigureAwait(false);
                    length += r.Count;
                }
                while (!r.EndOfMessage && r.MessageType != WebSocketMessageType.Close);

                if (r.MessageType == WebSocketMessageType.Close)
                {
                    // Answer the close handshake before cancelling: cancelling an in-flight send aborts the socket.
                    _outbound.Writer.TryComplete();
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, token).ConfigureAwait(false);
                    Shutdown("closed by the client");
                    return;
                }

                if (r.MessageType == WebSocketMessageType.Binary && !oversize)
                {
                    _port!.Receive(buf.AsSpan(0, length));
                }
            }

            Shutdown("the WebSocket is no longer open");
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            Shutdown(token.IsCancellationRequested ? "shut down" : $"receive failed: {e.Message}");
        }
    }

    private async Task SendLoopAsync(CancellationToken token)
    {
        try
        {
            await foreach (var frame in _outbound.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                await _socket.SendAsync(frame, WebSocketMessageType.Binary, true, token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            Shutdown(token.IsCancellationRequested ? "shut down" : $"send failed: {e.Message}");
        }
    }

    /// <summary>Shuts down (if still running) and releases the session's resources; the WebSocket stays the caller's.</summary>
    public ValueTask DisposeAsync()
    {
        Shutdown("disposed");
        _shutdown.Dispose();
        return ValueTask.CompletedTask;
    }
}
