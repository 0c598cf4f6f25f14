using System.Net;
using System.Net.WebSockets;
using Sandbox86.Network;
using Sandbox86.Network.Relay;
using Sandbox86.Network.Wire;

namespace Sandbox86.Tests.Network.Relay;

public sealed class WebSocketRelayTests
{
    private static readonly MacAddress GuestMac = new(0x5254_0000_0042);

    private static async Task<(Task Run, IPEndPoint Endpoint, CancellationTokenSource Cts)> StartAsync(RelayOptions options)
    {
        var bound = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        var cts = new CancellationTokenSource();
        var run = WebSocketRelay.RunAsync(options with { Listen = new IPEndPoint(IPAddress.Loopback, 0), OnListening = bound.SetResult }, cts.Token);
        return (run, await bound.Task.WaitAsync(TimeSpan.FromSeconds(5)), cts);
    }

    private static byte[] Discover()
    {
        var m = new DhcpMessage { Op = DhcpMessage.BootRequest, TransactionId = 7, ClientMac = GuestMac, MessageType = DhcpMessage.Discover };
        var b = new byte[m.Length];
        m.Write(b);
        return FrameBuilder.Udp(MacAddress.Broadcast, GuestMac, Ipv4Address.Any, Ipv4Address.Broadcast, 68, 67, b);
    }

    private static async Task<DhcpMessage> OfferAsync(ClientWebSocket ws)
    {
        await ws.SendAsync(Discover(), WebSocketMessageType.Binary, true, CancellationToken.None);
        var buf = new byte[2048];
        using var cts = new CancellationTokenSource(5000);
        var r = await ws.ReceiveAsync(buf, cts.Token);
        Assert.Equal(WebSocketMessageType.Binary, r.MessageType);
        Assert.True(r.EndOfMessage);
        Assert.True(Ipv4Header.TryParse(buf.AsSpan(14, r.Count - 14), out var ip, out var hl, out _));
        Assert.True(DhcpMessage.TryParse(buf.AsSpan(14 + hl + 8, ip.PayloadLength - 8), out var offer, out _));
        return offer!;
    }

    [Fact]
    public async Task A_dhcp_discover_over_the_websocket_gets_an_offer()
    {
        var (run, ep, cts) = await StartAsync(new RelayOptions());
        using (cts)
        {
            using var ws = new ClientWebSocket();
            await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{ep.Port}/"), CancellationToken.None);
            var offer = await OfferAsync(ws);
            Assert.Equal(DhcpMessage.Offer, offer.MessageType);
            Assert.Equal(Ipv4Address.Parse("10.0.2.15"), offer.YourIp);
            await cts.CancelAsync();
            await run;
        }
    }

    [Fact]
    public async Task Token_is_required_when_set_by_query_or_subprotocol()
    {
        var (run, ep, cts) = await StartAsync(new RelayOptions { Token = "s3cret" });
        using (cts)
        {
            using (var bad = new ClientWebSocket())
            {
                await Assert.ThrowsAsync<WebSocketException>(() => bad.ConnectAsync(new Uri($"ws://127.0.0.1:{ep.Port}/?token=nope"), CancellationToken.None));
            }

            using (var byQuery = new ClientWebSocket())
            {
                await byQuery.ConnectAsync(new Uri($"ws://127.0.0.1:{ep.Port}/?token=s3cret"), CancellationToken.None);
                Assert.Equal(DhcpMessage.Offer, (await OfferAsync(byQuery)).MessageType);
            }

            using (var bySub = new ClientWebSocket())
            {
                bySub.Options.AddSubProtocol("s3cret");
                await bySub.ConnectAsync(new Uri($"ws://127.0.0.1:{ep.Port}/"), CancellationToken.None);
                Assert.Equal("s3cret", bySub.SubProtocol);
            }

            await cts.CancelAsync();
            await run;
        }
    }

    [Fact]
    public async Task Foreign_browser_origins_are_refused()
    {
        var (run, ep, cts) = await StartAsync(new RelayOptions { AllowedOrigins = ["https://good.example"] });
        using (cts)
        {
            using (var evil = new ClientWebSocket())
            {
                evil.Options.SetRequestHeader("Origin", "https://evil.example");
                await Assert.ThrowsAsync<WebSocketException>(() => evil.ConnectAsync(new Uri($"ws://127.0.0.1:{ep.Port}/"), CancellationToken.None));
            }

            using (var good = new ClientWebSocket())
            {
                good.Options.SetRequestHeader("Origin", "https://good.example");
                await good.ConnectAsync(new Uri($"ws://127.0.0.1:{ep.Port}/"), CancellationToken.None);
            }

            await cts.CancelAsync();
            await run;
        }
    }

    [Fact]
    public async Task Non_loopback_listen_without_token_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() =>
            WebSocketRelay.RunAsync(new RelayOptions { Listen = new IPEndPoint(IPAddress.Any, 0) }, CancellationToken.None));
    }

    [Fact]
    public async Task Shared_mode_switches_frames_between_connections()
    {
        var (run, ep, cts) = await StartAsync(new RelayOptions { Shared = true });
        using (cts)
        {
            using var a = new ClientWebSocket();
            using var b = new ClientWebSocket();
            await a.ConnectAsync(new Uri($"ws://127.0.0.1:{ep.Port}/"), CancellationToken.None);
            await b.ConnectAsync(new Uri($"ws://127.0.0.1:{ep.Port}/"), CancellationToken.None);
            await Task.Delay(100);
            var frame = FrameBuilder.Udp(MacAddress.Broadcast, GuestMac, Ipv4Address.Parse("10.0.2.15"), Ipv4Address.Parse("10.0.2.255"), 9, 9, "hi"u8);
            await a.SendAsync(frame, WebSocketMessageType.Binary, true, CancellationToken.None);
            var buf = new byte[2048];
            using var timeout = new CancellationTokenSource(5000);
            var r = await b.ReceiveAsync(buf, timeout.Token);
            Assert.Equal(frame, buf.AsSpan(0, r.Count).ToArray());
            await cts.CancelAsync();
            await run;
        }
    }
}
