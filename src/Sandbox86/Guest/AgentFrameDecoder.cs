namespace Sandbox86.Guest;

/// <summary>
/// Incremental decoder over a byte stream: buffers at most one partial frame, drops and counts
/// bad ones, and resynchronises on the next magic.
/// </summary>
internal sealed class AgentFrameDecoder
{
    private byte[] _buffer = new byte[2 * (AgentFrame.HeaderLength + AgentFrame.MaxPayload)];
    private int _start;
    private int _end;

    /// <summary>Frames dropped for a bad CRC, version or length.</summary>
    public long FramesDropped { get; private set; }

    /// <summary>Bytes skipped while resynchronising (including those of dropped frames).</summary>
    public long BytesSkipped { get; private set; }

    public void Write(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_end == _buffer.Length)
            {
                Compact();
                if (_end == _buffer.Length)
                {
                    // Cannot happen with well-behaved parsing (pending data < one frame); grow rather than lose bytes.
                    Array.Resize(ref _buffer, _buffer.Length * 2);
                }
            }

            var n = Math.Min(data.Length, _buffer.Length - _end);
            data[..n].CopyTo(_buffer.AsSpan(_end));
            _end += n;
            data = data[n..];
        }
    }

    public bool TryRead(out AgentFrame frame)
    {
        while (true)
        {
            var status = AgentFrame.Parse(_buffer.AsSpan(_start, _end - _start), out frame, out var consumed);
            switch (status)
            {
                case AgentParseStatus.Frame:
                    _start += consumed;
                    CompactIfEmpty();
                    return true;
                case AgentParseStatus.NeedMore:
                    Compact();
                    return false;
                case AgentParseStatus.Garbage:
                    BytesSkipped += consumed;
                    _start += consumed;
                    break;
                default:
                    FramesDropped++;
                    BytesSkipped += consumed;
                    _start += consumed;
                    break;
            }
        }
    }

    private void CompactIfEmpty()
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
    }

    private void Compact()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
    }
}
