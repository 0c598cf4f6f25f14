using System.Buffers.Binary;

namespace Sandbox86.Mounts.Wire;

/// <summary>
/// Builds one 9P reply into a caller-owned buffer: <c>size[4] type[1] tag[2]</c>, then fields; the size is
/// patched by <see cref="Finish"/>. Writing past the buffer (the negotiated msize) throws, so a reply can
/// never exceed what the client agreed to receive.
/// </summary>
internal sealed class NineWriter(byte[] buffer)
{
    private int _pos;

    public byte[] Buffer => buffer;

    public int Length => _pos;

    public int Free => buffer.Length - _pos;

    public void Begin(byte type, ushort tag)
    {
        _pos = 4;
        U8(type);
        U16(tag);
    }

    public int Finish()
    {
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)_pos);
        return _pos;
    }

    public void U8(byte v) => Span(1)[0] = v;

    public void U16(ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(Span(2), v);

    public void U32(uint v) => BinaryPrimitives.WriteUInt32LittleEndian(Span(4), v);

    public void U64(ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(Span(8), v);

    public void Str(ReadOnlySpan<byte> s)
    {
        if (s.Length > ushort.MaxValue)
        {
            throw new NineFormatException("9P string longer than 65535 bytes");
        }

        U16((ushort)s.Length);
        s.CopyTo(Span(s.Length));
    }

    public void Qid(Qid q)
    {
        U8(q.Type);
        U32(q.Version);
        U64(q.Path);
    }

    /// <summary>Reserves <paramref name="n"/> bytes for a field written in place (read data, readdir entries).</summary>
    public Span<byte> Span(int n)
    {
        if (n > Free)
        {
            throw new NineFormatException("9P reply larger than msize");
        }

        var s = buffer.AsSpan(_pos, n);
        _pos += n;
        return s;
    }

    /// <summary>Moves the end back (or forward, within what was reserved) after an in-place write used less.</summary>
    public void Truncate(int length) => _pos = length;
}
