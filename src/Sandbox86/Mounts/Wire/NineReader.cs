using System.Buffers.Binary;

namespace Sandbox86.Mounts.Wire;

/// <summary>
/// Reads the fields of one 9P message body, little-endian, checking every length against what is left:
/// a short or lying message throws <see cref="NineFormatException"/>, never reads past the buffer.
/// </summary>
internal ref struct NineReader(ReadOnlySpan<byte> body)
{
    private ReadOnlySpan<byte> _rest = body;

    public readonly int Remaining => _rest.Length;

    public byte U8() => Take(1)[0];

    public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>A string: u16 length, then that many bytes (UTF-8 by convention; kept as bytes so host names round-trip exactly).</summary>
    public ReadOnlySpan<byte> Str() => Take(U16());

    public ReadOnlySpan<byte> Bytes(int count) => Take(count);

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n < 0 || n > _rest.Length)
        {
            throw new NineFormatException($"9P field of {n} bytes but only {_rest.Length} left");
        }

        var s = _rest[..n];
        _rest = _rest[n..];
        return s;
    }
}
