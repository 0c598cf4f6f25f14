using System.Buffers.Binary;

namespace Sandbox86.Guest;

/// <summary>
/// One agent protocol frame: magic A5 86, version u8, type u8, stream u32, length u32, CRC-32 u32
/// (over the first 12 header bytes and the payload), then the payload. Little-endian throughout.
/// </summary>
internal readonly record struct AgentFrame(AgentMessageType Type, uint Stream, ReadOnlyMemory<byte> Payload)
{
    public const int HeaderLength = 16;
    public const int MaxPayload = 65536;
    public const byte Magic0 = 0xA5;
    public const byte Magic1 = 0x86;
    public const byte Version = 1;

    public int BufferLength => HeaderLength + Payload.Length;

    public void Emit(Span<byte> destination)
    {
        if (Payload.Length > MaxPayload)
        {
            throw new InvalidOperationException($"payload of {Payload.Length} bytes exceeds {MaxPayload}");
        }

        var d = destination[..BufferLength];
        d[0] = Magic0;
        d[1] = Magic1;
        d[2] = Version;
        d[3] = (byte)Type;
        BinaryPrimitives.WriteUInt32LittleEndian(d[4..], Stream);
        BinaryPrimitives.WriteUInt32LittleEndian(d[8..], (uint)Payload.Length);
        Payload.Span.CopyTo(d[HeaderLength..]);
        var crc = Crc32.Append(Crc32.Compute(d[..12]), d[HeaderLength..]);
        BinaryPrimitives.WriteUInt32LittleEndian(d[12..], crc);
    }

    public byte[] ToArray()
    {
        var bytes = new byte[BufferLength];
        Emit(bytes);
        return bytes;
    }

    /// <summary>
    /// Parses one frame at the start of <paramref name="input"/>. Never trusts the length field
    /// beyond <see cref="MaxPayload"/>. On anything but <see cref="AgentParseStatus.Frame"/> and
    /// <see cref="AgentParseStatus.NeedMore"/>, <paramref name="consumed"/> is how many bytes to skip to
    /// reach the next candidate magic (always at least 1), which is how the stream resynchronises.
    /// </summary>
    public static AgentParseStatus Parse(ReadOnlySpan<byte> input, out AgentFrame frame, out int consumed)
    {
        frame = default;
        consumed = 0;
        if (input.IsEmpty)
        {
            return AgentParseStatus.NeedMore;
        }

        if (input[0] != Magic0 || (input.Length >= 2 && input[1] != Magic1))
        {
            consumed = SkipToMagic(input);
            return AgentParseStatus.Garbage;
        }

        if (input.Length < HeaderLength)
        {
            return AgentParseStatus.NeedMore;
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(input[8..]);
        if (input[2] != Version)
        {
            consumed = SkipToMagic(input);
            return AgentParseStatus.BadVersion;
        }

        if (length > MaxPayload)
        {
            consumed = SkipToMagic(input);
            return AgentParseStatus.Oversize;
        }

        var total = HeaderLength + (int)length;
        if (input.Length < total)
        {
            return AgentParseStatus.NeedMore;
        }

        var crc = Crc32.Append(Crc32.Compute(input[..12]), input.Slice(HeaderLength, (int)length));
        if (crc != BinaryPrimitives.ReadUInt32LittleEndian(input[12..]))
        {
            consumed = SkipToMagic(input);
            return AgentParseStatus.BadCrc;
        }

        frame = new AgentFrame(
            (AgentMessageType)input[3],
            BinaryPrimitives.ReadUInt32LittleEndian(input[4..]),
            input.Slice(HeaderLength, (int)length).ToArray());
        consumed = total;
        return AgentParseStatus.Frame;
    }

    private static int SkipToMagic(ReadOnlySpan<byte> input)
    {
        var next = input[1..].IndexOf(Magic0);
        return next < 0 ? input.Length : next + 1;
    }
}
