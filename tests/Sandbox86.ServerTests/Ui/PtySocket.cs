using System.Net.WebSockets;
using System.Text;
using Sandbox86.Server.Ui;

namespace Sandbox86.ServerTests.Ui;

/// <summary>A client of the console's PTY socket, as the page opens it (subprotocols, same Origin), reading output as text.</summary>
internal sealed class PtySocket : IAsyncDisposable
{
    private const int KeptChars = 128 * 1024;

    private readonly StringBuilder _screen = new();

    private PtySocket(ClientWebSocket socket) => Socket = socket;

    public ClientWebSocket Socket { get; }

    /// <summary>The close status the server sent, once the socket has closed.</summary>
    public WebSocketCloseStatus? CloseStatus => Socket.CloseStatus;

    public string Screen => _screen.ToString();

    public static async Task<PtySocket> OpenAsync(string serverUrl, string sandboxId, string? key, int cols = 80, int rows = 24)
    {
        var socket = new ClientWebSocket();
        foreach (var protocol in UiSocketAccess.ProtocolsFor(key))
        {
            socket.Options.AddSubProtocol(protocol);
        }

        socket.Options.SetRequestHeader("Origin", serverUrl);
        var ws = new Uri(serverUrl.Replace("http://", "ws://", StringComparison.Ordinal) + $"/ui/sandboxes/{sandboxId}/pty?cols={cols}&rows={rows}");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await socket.ConnectAsync(ws, timeout.Token);
        Assert.Equal(UiSocketAccess.Protocol, socket.SubProtocol);
        return new PtySocket(socket);
    }

    public Task SendAsync(string text) => Socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Binary, true, CancellationToken.None);

    public Task SendTextAsync(string json) => Socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>Reads output until <paramref name="condition"/> holds on everything read so far, or the socket closes.</summary>
    public async Task<string> WaitForAsync(Func<string, bool> condition, TimeSpan timeout, string what)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[64 * 1024];
        try
        {
            while (!condition(Screen))
            {
                var result = await Socket.ReceiveAsync(buffer, cts.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                _screen.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
                if (_screen.Length > KeptChars)
                {
                    // A flood's backlog runs to megabytes; conditions look at what came last.
                    _screen.Remove(0, _screen.Length - KeptChars);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (WebSocketException)
        {
        }

        Assert.True(condition(Screen), $"no {what} within {timeout.TotalSeconds:0}s (socket {Socket.State}, close {Socket.CloseStatus} {Socket.CloseStatusDescription}); output:\n{Tail(Screen)}");
        return Screen;
    }

    /// <summary>Reads until the server closes the socket; returns its close status.</summary>
    public async Task<WebSocketCloseStatus?> WaitClosedAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[64 * 1024];
        try
        {
            while (Socket.State == WebSocketState.Open)
            {
                var result = await Socket.ReceiveAsync(buffer, cts.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }

        return Socket.CloseStatus;
    }

    public void Clear() => _screen.Clear();

    public async ValueTask DisposeAsync()
    {
        if (Socket.State == WebSocketState.Open)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "test done", cts.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException)
            {
            }
        }

        Socket.Dispose();
    }

    private static string Tail(string s) => s.Length > 2000 ? s[^2000..] : s;
}
