using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using Sandbox86.Network;
using Sandbox86.Network.Relay;
using Sandbox86.Network.Wire;

namespace Sandbox86.Tests.Network.Relay;

/// <summary>
/// <see cref="WebSocketPort"/> serving a WebSocket made with <see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/>
/// over a connected loopback stream pair: no HTTP upgrade, no listener, as an ASP.NET Core endpoint would hand it over.
/// </summary>
public sealed class WebSocketPortTests
{
    private static readonly MacAddress GuestMac = new(0x5254_0000_0077);

    private sealed class Pair : IAsyncDisposable
    {
        private readonly Socket _a;
        private readonly Socket _b;

        private Pair(Socket a, Socket b)
        {
            _a = a;
            _b = b;
            Server = WebSocket.CreateFromStream(new NetworkStream(a), new WebSocketCreationOptions { IsServer = true });
            Client = WebSocket.CreateFromStream(new NetworkStream(b), new WebSocketCreationOptions { IsServer = false });
        }

        public WebSocket Server { get; }
        public WebSocket Client { get; }

        public static async Task<Pair> CreateAsync()
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            var b = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var accept = listener.AcceptAsync();
            await b.ConnectAsync(listener.LocalEndPoint!);
            return new Pair(await accept, b);
        }

        public ValueTask DisposeAsync()
        {
            Server.Dispose();
            Client.Dispose();
            _a.Dispose();
            _b.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private static byte[] Discover(uint xid)
    {
        var m = new DhcpMessage { Op = DhcpMessage.BootRequest, TransactionId = xid, ClientMac = GuestMac, MessageType = DhcpMessage.Discover };
        var b = new byte[m.Length];
        m.Write(b);
        return FrameBuilder.Udp(MacAddress.Broadcast, GuestMac, Ipv4Address.Any, Ipv4Address.Broadcast, 68, 67, b);
    }

    private static async Task<DhcpMessage> ReceiveDhcpAsync(WebSocket ws)
    {
        var buf = new byte[2048];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var r = await ws.ReceiveAsync(buf, cts.Token);
        Assert.Equal(WebSocketMessageType.Binary, r.MessageType);
        Assert.True(r.EndOfMessage);
        Assert.True(Ipv4Header.TryParse(buf.AsSpan(14, r.Count - 14), out var ip, out var hl, out _));
        Assert.True(DhcpMessage.TryParse(buf.AsSpan(14 + hl + 8, ip.PayloadLength - 8), out var m, out _));
        return m!;
    }

    [Fact]
    public async Task A_websocket_from_a_stream_pair_is_a_network_port_until_the_client_closes()
    {
        await using var pair = await Pair.CreateAsync();
        await using var net = new VirtualNetwork(new NetworkOptions());
        await using var port = new WebSocketPort(pair.Server, net, "asp-1");
        var run = port.RunAsync(CancellationToken.None);

        await pair.Client.SendAsync(Discover(1), WebSocketMessageType.Binary, true, CancellationToken.None);
        var offer = await ReceiveDhcpAsync(pair.Client);
        Assert.Equal(DhcpMessage.Offer, offer.MessageType);
        Assert.Equal(1u, offer.TransactionId);
        Assert.Equal(IPAddress.Parse("10.0.2.15"), net.LeaseOf("asp-1"));

        await pair.Client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("closed by the client", port.ShutdownReason);
        Assert.Equal(WebSocketState.Closed, pair.Client.State);
        Assert.Empty(net.Counters.Ports);
    }

    [Fact]
    public async Task An_oversize_or_text_message_is_dropped_and_the_port_keeps_serving()
    {
        await using var pair = await Pair.CreateAsync();
        await using var net = new VirtualNetwork(new NetworkOptions());
        await using var port = new WebSocketPort(pair.Server, net, "asp-2");
        var run = port.RunAsync(CancellationToken.None);

        await pair.Client.SendAsync(new byte[WebSocketPort.MaxFrameLength + 1000], WebSocketMessageType.Binary, true, CancellationToken.None);
        // Valid UTF-8: invalid text is a protocol error the WebSocket itself closes on (RFC 6455 §8.1).
        await pair.Client.SendAsync("not a frame"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        await pair.Client.SendAsync(Discover(3), WebSocketMessageType.Binary, true, CancellationToken.None);
        Assert.Equal(3u, (await ReceiveDhcpAsync(pair.Client)).TransactionId);
        Assert.False(run.IsCompleted);
        Assert.Equal(1, port.Counters!.FramesIn);
        port.Shutdown("test over");
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Shutdown_is_idempotent_keeps_the_first_reason_and_ends_both_loops()
    {
        await using var pair = await Pair.CreateAsync();
        await using var net = new VirtualNetwork(new NetworkOptions());
        var port = new WebSocketPort(pair.Server, net, "asp-3");
        var run = port.RunAsync(CancellationToken.None);
        await pair.Client.SendAsync(Discover(4), WebSocketMessageType.Binary, true, CancellationToken.None);
        await ReceiveDhcpAsync(pair.Client);

        port.Shutdown("server stopping");
        port.Shutdown("again");
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("server stopping", port.ShutdownReason);
        Assert.Equal(WebSocketState.Aborted, pair.Server.State);
        Assert.Empty(net.Counters.Ports);
        await port.DisposeAsync();
        await port.DisposeAsync();
        Assert.Equal("server stopping", port.ShutdownReason);
        await Assert.ThrowsAsync<InvalidOperationException>(() => port.RunAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Cancellation_ends_the_session()
    {
        await using var pair = await Pair.CreateAsync();
        await using var net = new VirtualNetwork(new NetworkOptions());
        using var cts = new CancellationTokenSource();
        var serve = WebSocketPort.ServeAsync(pair.Server, net, "asp-4", cts.Token);
        await pair.Client.SendAsync(Discover(5), WebSocketMessageType.Binary, true, CancellationToken.None);
        await ReceiveDhcpAsync(pair.Client);
        await cts.CancelAsync();
        await serve.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(net.Counters.Ports);
    }
}
