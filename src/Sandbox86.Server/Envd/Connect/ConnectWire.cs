using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace Sandbox86.Server.Envd.Connect;

/// <summary>Connect-RPC with the JSON codec over HTTP/1.1: unary bodies, 5-byte envelopes, end-stream frames.</summary>
internal static class ConnectWire
{
    /// <summary>Largest request message we accept (a SendInput chunk is far smaller).</summary>
    public const int MaxRequestBytes = 4 * 1024 * 1024;

    public const string StreamContentType = "application/connect+json";

    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    /// <summary>Reads a unary JSON body or a single enveloped request message, bounded.</summary>
    public static async Task<T> ReadRequestAsync<T>(HttpRequest request, bool enveloped, CancellationToken cancellationToken)
        where T : IMessage<T>, new()
    {
        var body = await ReadBoundedAsync(request.Body, MaxRequestBytes + 5, cancellationToken).ConfigureAwait(false);
        ReadOnlyMemory<byte> json = body;
        if (enveloped)
        {
            if (body.Length < 5)
            {
                throw new ConnectException("invalid_argument", "malformed envelope: fewer than 5 bytes");
            }

            var flags = body[0];
            var length = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(1));
            if ((flags & 0x01) != 0)
            {
                throw new ConnectException("unimplemented", "compressed envelopes are not supported");
            }

            if (length > MaxRequestBytes)
            {
                throw new ConnectException("resource_exhausted", $"request message of {length} bytes exceeds {MaxRequestBytes}");
            }

            if (body.Length - 5 != length)
            {
                throw new ConnectException("invalid_argument", $"malformed envelope: length {length} but {body.Length - 5} bytes follow");
            }

            json = body.AsMemory(5);
        }

        if (json.Length == 0)
        {
            return new T();
        }

        try
        {
            return Parser.Parse<T>(Encoding.UTF8.GetString(json.Span));
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException or FormatException or ArgumentException)
        {
            throw new ConnectException("invalid_argument", "bad request message: " + e.Message);
        }
    }

    /// <summary>
    /// Reads the envelopes of a client stream one at a time (StreamInput), each bounded like a single request;
    /// the stream ends with the request body. A truncated envelope is an error, never a silent end.
    /// </summary>
    public static async IAsyncEnumerable<T> ReadStreamAsync<T>(HttpRequest request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        where T : IMessage<T>, new()
    {
        var header = new byte[5];
        while (true)
        {
            var got = await ReadFullAsync(request.Body, header, cancellationToken).ConfigureAwait(false);
            if (got == 0)
            {
                yield break;
            }

            if (got < 5)
            {
                throw new ConnectException("invalid_argument", "malformed envelope: stream ended inside a header");
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
            if ((header[0] & 0x01) != 0)
            {
                throw new ConnectException("unimplemented", "compressed envelopes are not supported");
            }

            if (length > MaxRequestBytes)
            {
                throw new ConnectException("resource_exhausted", $"request message of {length} bytes exceeds {MaxRequestBytes}");
            }

            var payload = new byte[length];
            if (await ReadFullAsync(request.Body, payload, cancellationToken).ConfigureAwait(false) != length)
            {
                throw new ConnectException("invalid_argument", $"malformed envelope: stream ended inside a {length}-byte message");
            }

            if ((header[0] & 0x02) != 0)
            {
                // An end-stream flag from a client carries no message.
                yield break;
            }

            T message;
            try
            {
                message = length == 0 ? new T() : Parser.Parse<T>(Encoding.UTF8.GetString(payload));
            }
            catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException or FormatException or ArgumentException)
            {
                throw new ConnectException("invalid_argument", "bad request message: " + e.Message);
            }

            yield return message;
        }
    }

    private static async Task<int> ReadFullAsync(Stream body, byte[] buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await body.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    public static async Task WriteUnaryAsync(HttpResponse response, IMessage message, CancellationToken cancellationToken)
    {
        response.StatusCode = 200;
        response.ContentType = "application/json";
        await response.WriteAsync(JsonFormatter.Default.Format(message), cancellationToken).ConfigureAwait(false);
    }

    public static async Task WriteUnaryErrorAsync(HttpResponse response, ConnectException error)
    {
        if (response.HasStarted)
        {
            return;
        }

        response.StatusCode = error.HttpStatus;
        response.ContentType = "application/json";
        await response.WriteAsync(ErrorJson(error)).ConfigureAwait(false);
    }

    public static void StartStream(HttpResponse response)
    {
        response.StatusCode = 200;
        response.ContentType = StreamContentType;
    }

    /// <summary>Writes one message envelope and flushes: awaiting the flush is the backpressure to the guest.</summary>
    public static Task WriteMessageAsync(HttpResponse response, IMessage message, CancellationToken cancellationToken) =>
        WriteFrameAsync(response, 0, Encoding.UTF8.GetBytes(JsonFormatter.Default.Format(message)), cancellationToken);

    public static Task WriteEndAsync(HttpResponse response, ConnectException? error, CancellationToken cancellationToken) =>
        WriteFrameAsync(response, 0x02, Encoding.UTF8.GetBytes(error is null ? "{}" : "{\"error\":" + ErrorJson(error) + "}"), cancellationToken);

    private static async Task WriteFrameAsync(HttpResponse response, byte flags, byte[] payload, CancellationToken cancellationToken)
    {
        var frame = new byte[5 + payload.Length];
        frame[0] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        await response.Body.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string ErrorJson(ConnectException error) =>
        JsonSerializer.Serialize(new Dictionary<string, string> { ["code"] = error.Code, ["message"] = error.Message });

    private static async Task<byte[]> ReadBoundedAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        while (true)
        {
            var n = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return buffer.ToArray();
            }

            if (buffer.Length + n > limit)
            {
                throw new ConnectException("resource_exhausted", $"request body exceeds {limit} bytes");
            }

            buffer.Write(chunk, 0, n);
        }
    }
}
