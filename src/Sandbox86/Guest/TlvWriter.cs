using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Sandbox86.Guest;

/// <summary>Builds a TLV payload: tag u8, length u32 LE, value; repeated tags form lists.</summary>
internal sealed class TlvWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new();

    public int Length => _buffer.WrittenCount;

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.WrittenMemory;

    public TlvWriter Bytes(AgentTag tag, ReadOnlySpan<byte> value)
    {
        var span = _buffer.GetSpan(5 + value.Length);
        span[0] = (byte)tag;
        BinaryPrimitives.WriteUInt32LittleEndian(span[1..], (uint)value.Length);
        value.CopyTo(span[5..]);
        _buffer.Advance(5 + value.Length);
        return this;
    }

    public TlvWriter String(AgentTag tag, string value)
    {
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"{tag} must not contain NUL characters", nameof(value));
        }

        return Bytes(tag, Encoding.UTF8.GetBytes(value));
    }

    public TlvWriter UInt32(AgentTag tag, uint value)
    {
        Span<byte> v = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(v, value);
        return Bytes(tag, v);
    }

    public TlvWriter UInt64(AgentTag tag, ulong value)
    {
        Span<byte> v = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(v, value);
        return Bytes(tag, v);
    }

    public TlvWriter Bool(AgentTag tag, bool value) => UInt32(tag, value ? 1u : 0u);

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
}
