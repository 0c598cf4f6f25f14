using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Sandbox86.Network.Relay;

/// <summary>The server side of the RFC 6455 opening handshake, read byte by byte so no WebSocket data is consumed.</summary>
internal sealed class WebSocketHandshake
{
    private const int MaxHeaderBytes = 8192;
    private const string Guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    public string Target { get; private init; } = "/";
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    public static async Task<WebSocketHandshake?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var bytes = new List<byte>(512);
        var one = new byte[1];
        while (bytes.Count < MaxHeaderBytes)
        {
            if (await stream.ReadAsync(one, cancellationToken).ConfigureAwait(false) == 0)
            {
                return null;
            }

            bytes.Add(one[0]);
            var n = bytes.Count;
            if (n >= 4 && bytes[n - 4] == '\r' && bytes[n - 3] == '\n' && bytes[n - 2] == '\r' && bytes[n - 1] == '\n')
            {
                return Parse(Encoding.Latin1.GetString(bytes.ToArray()));
            }
        }

        return null;
    }

    private static WebSocketHandshake? Parse(string text)
    {
        var lines = text.Split("\r\n");
        var request = lines[0].Split(' ');
        if (request.Length != 3 || request[0] != "GET")
        {
            return null;
        }

        var h = new WebSocketHandshake { Target = request[1] };
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                h.Headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }

        return h;
    }

    public bool IsUpgrade =>
        Headers.TryGetValue("Upgrade", out var u) && u.Equals("websocket", StringComparison.OrdinalIgnoreCase)
        && Headers.ContainsKey("Sec-WebSocket-Key");

    public string? QueryValue(string name)
    {
        var q = Target.IndexOf('?', StringComparison.Ordinal);
        if (q < 0)
        {
            return null;
        }

        foreach (var pair in Target[(q + 1)..].Split('&'))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && pair[..eq] == name)
            {
                return WebUtility.UrlDecode(pair[(eq + 1)..]);
            }
        }

        return null;
    }

    public IEnumerable<string> Subprotocols =>
        Headers.TryGetValue("Sec-WebSocket-Protocol", out var p)
            ? p.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            : [];

    public static byte[] Accept(string key, string? subprotocol)
    {
#pragma warning disable CA5350 // RFC 6455 §4.2.2 mandates SHA-1 here; it is a framing check, not security.
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + Guid)));
#pragma warning restore CA5350
        var sb = new StringBuilder("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n");
        sb.Append("Sec-WebSocket-Accept: ").Append(accept).Append("\r\n");
        if (subprotocol is not null)
        {
            sb.Append("Sec-WebSocket-Protocol: ").Append(subprotocol).Append("\r\n");
        }

        return Encoding.ASCII.GetBytes(sb.Append("\r\n").ToString());
    }

    public static byte[] Reject(int status, string reason) =>
        Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}
