using System.Buffers.Binary;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Sandbox86.ServerTests.Envd;

/// <summary>A raw Connect-JSON client (our own framing, so the tests see exactly what goes over the wire).</summary>
internal sealed class ConnectClient(Uri baseUri, string sandboxId, string? token = null, int? receiveBuffer = null) : IDisposable
{
    private readonly HttpClient _http = new(Handler(receiveBuffer)) { BaseAddress = baseUri, Timeout = TimeSpan.FromMinutes(2) };

    /// <summary>A fixed small SO_RCVBUF turns off the kernel's autotuning, so a stalled reader holds little in the socket.</summary>
    private static SocketsHttpHandler Handler(int? receiveBuffer) => new()
    {
        ConnectCallback = receiveBuffer is not { } size ? null : async (context, ct) =>
        {
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { ReceiveBufferSize = size, NoDelay = true };
            try
            {
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    public HttpRequestMessage Request(HttpMethod method, string path, HttpContent? content = null, int? timeoutMs = null)
    {
        var r = new HttpRequestMessage(method, path) { Content = content };
        r.Headers.Add("E2b-Sandbox-Id", sandboxId);
        r.Headers.Add("Connect-Protocol-Version", "1");
        if (token is not null)
        {
            r.Headers.Add("X-Access-Token", token);
        }

        if (timeoutMs is { } t)
        {
            r.Headers.Add("Connect-Timeout-Ms", t.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return r;
    }

    public async Task<(int Status, JsonElement Body)> UnaryAsync(string path, string json)
    {
        using var response = await _http.SendAsync(Request(HttpMethod.Post, path, new StringContent(json, Encoding.UTF8, "application/json")));
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Sends raw bytes as a stream request; returns the decoded frames (flags, JSON).</summary>
    public async Task<List<(byte Flags, JsonElement Message)>> StreamRawAsync(string path, byte[] body, int? timeoutMs = null)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/connect+json");
        using var response = await _http.SendAsync(Request(HttpMethod.Post, path, content, timeoutMs), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(200, (int)response.StatusCode);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var frames = new List<(byte, JsonElement)>();
        var offset = 0;
        while (offset + 5 <= bytes.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset + 1));
            frames.Add((bytes[offset], JsonDocument.Parse(bytes.AsMemory(offset + 5, length)).RootElement.Clone()));
            offset += 5 + length;
        }

        Assert.Equal(bytes.Length, offset);
        return frames;
    }

    public Task<List<(byte Flags, JsonElement Message)>> StreamAsync(string path, string json, int? timeoutMs = null) =>
        StreamRawAsync(path, Envelope(Encoding.UTF8.GetBytes(json)), timeoutMs);

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead) =>
        _http.SendAsync(request, completion);

    public static byte[] Envelope(byte[] payload, byte flags = 0, uint? length = null)
    {
        var frame = new byte[5 + payload.Length];
        frame[0] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), length ?? (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    public void Dispose() => _http.Dispose();
}
