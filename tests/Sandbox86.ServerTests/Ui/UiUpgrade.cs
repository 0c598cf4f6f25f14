using System.Net.Sockets;
using System.Text;

namespace Sandbox86.ServerTests.Ui;

/// <summary>
/// A WebSocket upgrade written by hand on a loopback socket, so a test controls every header (Host and Origin
/// included, which <c>ClientWebSocket</c> sets itself) and reads the server's status line.
/// </summary>
internal static class UiUpgrade
{
    public static async Task<int> StatusAsync(string url, string path, string? origin, string? host = null, IReadOnlyList<string>? protocols = null)
    {
        var uri = new Uri(url);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        var stream = tcp.GetStream();
        var request = new StringBuilder()
            .Append($"GET {path} HTTP/1.1\r\n")
            .Append($"Host: {host ?? uri.Authority}\r\n")
            .Append("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n")
            .Append("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");
        if (origin is not null)
        {
            request.Append($"Origin: {origin}\r\n");
        }

        if (protocols is { Count: > 0 })
        {
            request.Append($"Sec-WebSocket-Protocol: {string.Join(", ", protocols)}\r\n");
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.Append("\r\n").ToString()));
        var buffer = new byte[1024];
        var read = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (read < 12)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), timeout.Token);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        var line = Encoding.ASCII.GetString(buffer, 0, read);
        Assert.StartsWith("HTTP/1.1 ", line);
        return int.Parse(line.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
    }
}
