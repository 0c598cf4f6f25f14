using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace Sandbox86.Network.Relay;

/// <summary>
/// A relay speaking v86's protocol: every binary WebSocket message is exactly one Ethernet II frame, both ways, with
/// no handshake beyond the WebSocket upgrade. Built on a raw <see cref="TcpListener"/> and
/// <see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/>, no ASP.NET Core needed. The access checks are
/// <see cref="RelayAccessValidator"/>'s and each connection is a <see cref="WebSocketPort"/>, so a host that accepts
/// WebSockets itself serves the same relay with those two types.
/// </summary>
public static class WebSocketRelay
{
    /// <summary>Serves until <paramref name="cancellationToken"/> fires.</summary>
    public static async Task RunAsync(RelayOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var access = RelayAccessValidator.For(options);
        if (!access.RequiresToken && !IPAddress.IsLoopback(options.Listen.Address))
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
                        await ServeAsync(client, name, access, shared, perConnection, cancellationToken).ConfigureAwait(false);
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

    private static async Task ServeAsync(TcpClient client, string name, RelayAccessValidator access, VirtualNetwork? shared,
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

        var decision = access.Check(h.Headers.GetValueOrDefault("Origin"), h.QueryValue("token"), h.Subprotocols);
        if (!decision.IsAllowed)
        {
            var reject = decision.Result == RelayAccessResult.Unauthorized
                ? WebSocketHandshake.Reject(401, "Unauthorized")
                : WebSocketHandshake.Reject(403, "Forbidden");
            await stream.WriteAsync(reject, cancellationToken).ConfigureAwait(false);
            return;
        }

        var subprotocol = decision.Subprotocol;
        await stream.WriteAsync(WebSocketHandshake.Accept(h.Headers["Sec-WebSocket-Key"], subprotocol), cancellationToken).ConfigureAwait(false);
        using var ws = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions
        {
            IsServer = true,
            SubProtocol = subprotocol,
            KeepAliveInterval = TimeSpan.FromSeconds(30),
        });

        var network = shared ?? new VirtualNetwork(perConnection);
        try
        {
            await WebSocketPort.ServeAsync(ws, network, name, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (shared is null)
            {
                await network.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
