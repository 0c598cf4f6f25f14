using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;

namespace Sandbox86.Network.Relay;

/// <summary>
/// A relay speaking v86's protocol: every binary WebSocket message is exactly one Ethernet II frame, both ways, with
/// no handshake beyond the WebSocket upgrade. Built on a raw <see cref="TcpListener"/> and
/// <see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/>, no ASP.NET Core needed.
/// </summary>
public static class WebSocketRelay
{
    private const int MaxFrame = 65535 + 14;

    /// <summary>Serves until <paramref name="cancellationToken"/> fires.</summary>
    public static async Task RunAsync(RelayOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Token is null && !IPAddress.IsLoopback(options.Listen.Address))
        {
            throw new ArgumentException("A token is required to listen on a non-loopback address.", nameof(options));
        }

        var listener = new TcpListener(options.Listen);
        listener.Start();
        var shared = options.Shared ? new VirtualNetwork(options.Network) : null;
        var perConnection = options.Network with { Forwards = [] };
        var active = 0;
        var id = 0;
        try
        {
            options.OnListening?.Invoke((IPEndPoint)listener.LocalEndpoint);
            while (!cancellationToken.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
                if (Interlocked.Increment(ref active) > options.MaxConnections)
                {
                    Interlocked.Decrement(ref active);
                    client.Dispose();
                    continue;
                }

                var name = $"ws-{++id}";
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await ServeAsync(client, name, options, shared, perConnection, cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref active);
                    }
                }, CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            listener.Stop();
            if (shared is not null)
            {
                await shared.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static bool TokenMatches(string? expected, string? given) =>
        expected is not null && given is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(given));

    private static bool OriginAllowed(RelayOptions options, WebSocketHandshake h)
    {
        if (!h.Headers.TryGetValue("Origin", out var origin))
        {
            return true;
        }

        if (options.AllowedOrigins.Count > 0)
        {
            return options.AllowedOrigins.Any(o => o == "*" || o.Equals(origin, StringComparison.OrdinalIgnoreCase));
        }

        return Uri.TryCreate(origin, UriKind.Absolute, out var u) && (u.IsLoopback || u.Host == "localhost");
    }

    private static async Task ServeAsync(TcpClient client, string name, RelayOptions options, VirtualNetwork? shared,
        NetworkOptions perConnection, CancellationToken cancellationToken)
    {
        using var _ = client;
        client.NoDelay = true;
        var stream = client.GetStream();
        WebSocketHandshake? h;
        using (var headerTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            headerTimeout.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                h = await WebSocketHandshake.ReadAsync(stream, headerTimeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                return;
            }
        }

        if (h is null || !h.IsUpgrade)
        {
            await stream.WriteAsync(WebSocketHandshake.Reject(400, "Bad Request"), cancellationToken).ConfigureAwait(false);
            return;
        }

        string? subprotocol = null;
        if (options.Token is not null)
        {
            subprotocol = h.Subprotocols.FirstOrDefault(p => TokenMatches(options.Token, p));
            if (subprotocol is null && !TokenMatches(options.Token, h.QueryValue("token")))
            {
                await stream.WriteAsync(WebSocketHandshake.Reject(401, "Unauthorized"), cancellationToken).ConfigureAwait(false);
                return;
            }
        }

        if (!OriginAllowed(options, h))
        {
            await stream.WriteAsync(WebSocketHandshake.Reject(403, "Forbidden"), cancellationToken).ConfigureAwait(false);
            return;
        }

        await stream.WriteAsync(WebSocketHandshake.Accept(h.Headers["Sec-WebSocket-Key"], subprotocol), cancellationToken).ConfigureAwait(false);
        using var ws = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions
        {
            IsServer = true,
            SubProtocol = subprotocol,
            KeepAliveInterval = TimeSpan.FromSeconds(30),
        });

        var network = shared ?? new VirtualNetwork(perConnection);
        var port = network.AttachPort(name, frame => ws.SendAsync(frame, WebSocketMessageType.Binary, true, cancellationToken));
        try
        {
            await ReceiveLoopAsync(ws, port, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
        }
        finally
        {
            await port.DisposeAsync().ConfigureAwait(false);
            if (shared is null)
            {
                await network.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task ReceiveLoopAsync(WebSocket ws, INetworkPort port, CancellationToken cancellationToken)
    {
        var buf = new byte[MaxFrame];
        while (ws.State == WebSocketState.Open)
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

                r = await ws.ReceiveAsync(buf.AsMemory(length), cancellationToken).ConfigureAwait(false);
                length += r.Count;
            }
            while (!r.EndOfMessage && r.MessageType != WebSocketMessageType.Close);

            if (r.MessageType == WebSocketMessageType.Close)
            {
                await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (r.MessageType == WebSocketMessageType.Binary && !oversize)
            {
                port.Receive(buf.AsSpan(0, length));
            }
        }
    }
}
