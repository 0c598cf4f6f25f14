using System.Buffers.Binary;
using System.Text;

namespace Sandbox86.Guest;

/// <summary>Walks a TLV payload from the guest; a bad length ends the walk with <see cref="FormatException"/>.</summary>
internal ref struct TlvReader
{
    private ReadOnlySpan<byte> _rest;

    public TlvReader(ReadOnlySpan<byte> payload)
    {
        _rest = payload;
        Tag = 0;
        Value = default;
    }

    public AgentTag Tag { get; private set; }

    public ReadOnlySpan<byte> Value { get; private set; }

    public bool Read()
    {
        if (_rest.IsEmpty)
        {
            return false;
        }

        if (_rest.Length < 5)
        {
            throw new FormatException("truncated TLV header");
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(_rest[1..]);
        if (length > (uint)(_rest.Length - 5))
        {
            throw new FormatException("TLV length beyond payload");
        }

        Tag = (AgentTag)_rest[0];
        Value = _rest.Slice(5, (int)length);
        _rest = _rest[(5 + (int)length)..];
        return true;
    }

    public readonly ulong UInt64()
    {
        ulong v = 0;
        for (var i = 0; i < Value.Length && i < 8; i++)
        {
            v |= (ulong)Value[i] << (8 * i);
        }

        return v;
    }

    public readonly int Int32() => unchecked((int)(uint)UInt64());

    public readonly string String() => Encoding.UTF8.GetString(Value);
}
