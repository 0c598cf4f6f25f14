using System.Buffers.Binary;
using System.Text.Json;

namespace Sandbox86.Client;

/// <summary>Connect-RPC's stream framing: flags(1), big-endian length(4), message; flag 0x02 marks the end-stream frame.</summary>
internal static class ConnectFrames
{
    /// <summary>Largest frame we accept from a server: output chunks are far smaller, and a bound keeps a hostile server from growing our memory.</summary>
    public const int MaxFrameBytes = 16 * 1024 * 1024;

    public const byte EndStream = 0x02;

    public static byte[] Envelope(ReadOnlySpan<byte> message)
    {
        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame.AsSpan(5));
        return frame;
    }

    /// <summary>Reads the next frame; null at a clean end of the body (which Connect treats as an error without the end-stream frame).</summary>
    public static async Task<(byte Flags, JsonDocument Message)?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[5];
        var got = await stream.ReadAtLeastAsync(header, 5, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (got == 0)
        {
            return null;
        }

        if (got < 5)
        {
            throw new SandboxApiException(502, "internal", "the server's stream ended inside a frame header");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
        if (length > MaxFrameBytes)
        {
            throw new SandboxApiException(502, "resource_exhausted", $"the server sent a frame of {length} bytes (more than {MaxFrameBytes})");
        }

        if ((header[0] & 0x01) != 0)
        {
            throw new SandboxApiException(502, "internal", "the server sent a compressed frame, which was not negotiated");
        }

        var payload = new byte[length];
        await stream.ReadExactlyAsync(payload, cancellationToken).ConfigureAwait(false);
        try
        {
            return (header[0], JsonDocument.Parse(payload));
        }
        catch (JsonException e)
        {
            throw new SandboxApiException(502, "internal", "the server sent a frame that is not JSON: " + e.Message);
        }
    }

    /// <summary>The error of an end-stream frame, or null when it ended cleanly.</summary>
    public static SandboxApiException? EndError(JsonElement end)
    {
        var error = ClientJson.Child(end, "error");
        if (error.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var code = ClientJson.String(error, "code");
        return new SandboxApiException(ClientJson.ConnectStatus(code), code, ClientJson.String(error, "message") ?? code ?? "stream failed");
    }
}
