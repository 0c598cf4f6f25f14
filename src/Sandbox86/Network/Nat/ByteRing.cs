namespace Sandbox86.Network.Nat;

/// <summary>A fixed-capacity FIFO of bytes: the bound on what one TCP direction may buffer.</summary>
internal sealed class ByteRing(int capacity)
{
    private readonly byte[] _buf = new byte[capacity];
    private int _head;

    public int Count { get; private set; }

    public int Capacity => _buf.Length;

    public int Free => _buf.Length - Count;

    public int Write(ReadOnlySpan<byte> data)
    {
        var n = Math.Min(data.Length, Free);
        var tail = (_head + Count) % _buf.Length;
        var first = Math.Min(n, _buf.Length - tail);
        data[..first].CopyTo(_buf.AsSpan(tail));
        data[first..n].CopyTo(_buf);
        Count += n;
        return n;
    }

    /// <summary>Copies <paramref name="dest"/>.Length bytes starting <paramref name="offset"/> bytes after the head.</summary>
    public void Peek(int offset, Span<byte> dest)
    {
        if (offset < 0 || offset + dest.Length > Count)
        {
            throw new ArgumentOutOfRangeException(nameof(offset));
        }

        var start = (_head + offset) % _buf.Length;
        var first = Math.Min(dest.Length, _buf.Length - start);
        _buf.AsSpan(start, first).CopyTo(dest);
        _buf.AsSpan(0, dest.Length - first).CopyTo(dest[first..]);
    }

    public void Discard(int n)
    {
        n = Math.Min(n, Count);
        _head = (_head + n) % _buf.Length;
        Count -= n;
        if (Count == 0)
        {
            _head = 0;
        }
    }
}
