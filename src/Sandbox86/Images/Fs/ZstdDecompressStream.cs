namespace Sandbox86.Images.Fs;

/// <summary>
/// A read-only stream that decompresses zstd frames (any number, concatenated) from an inner stream,
/// for chunks and layers too large to hold in memory. Corrupt or truncated input raises
/// <see cref="InvalidDataException"/>.
/// </summary>
internal sealed class ZstdDecompressStream : Util.ReadOnlyStream
{
    private readonly Stream _inner;
    private readonly bool _leaveOpen;
    private readonly byte[] _inBuf = new byte[128 * 1024];
    private int _inPos;
    private int _inLen;
    private nint _dstream;
    private bool _innerEof;
    private bool _frameOpen;
    private bool _anyInput;

    /// <summary>Wraps <paramref name="inner"/>; disposes it too unless <paramref name="leaveOpen"/>.</summary>
    public ZstdDecompressStream(Stream inner, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _leaveOpen = leaveOpen;
        _dstream = ZstdNative.CreateDStream();
        if (_dstream == 0)
        {
            throw new InvalidOperationException("ZSTD_createDStream failed");
        }

        ZstdNative.InitDStream(_dstream);
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc/>
    public override unsafe int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_dstream == 0, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (true)
        {
            if (_inPos == _inLen && !_innerEof)
            {
                _inLen = _inner.Read(_inBuf, 0, _inBuf.Length);
                _inPos = 0;
                if (_inLen == 0)
                {
                    _innerEof = true;
                }
                else
                {
                    _anyInput = true;
                }
            }

            if (_inPos == _inLen && _innerEof && !_frameOpen)
            {
                if (!_anyInput)
                {
                    throw new InvalidDataException("empty zstd data");
                }

                return 0;
            }

            nuint hint;
            ZstdNative.Buffer dst;
            ZstdNative.Buffer src;
            fixed (byte* outPtr = buffer)
            fixed (byte* inPtr = _inBuf)
            {
                dst = new ZstdNative.Buffer { Data = outPtr, Size = (nuint)buffer.Length, Pos = 0 };
                src = new ZstdNative.Buffer { Data = inPtr + _inPos, Size = (nuint)(_inLen - _inPos), Pos = 0 };
                hint = ZstdNative.DecompressStream(_dstream, &dst, &src);
            }

            if (ZstdNative.Failed(hint))
            {
                throw new InvalidDataException("corrupt zstd data: " + ZstdNative.ErrorName(hint));
            }

            _inPos += (int)src.Pos;
            _frameOpen = hint != 0;
            if (dst.Pos > 0)
            {
                return (int)dst.Pos;
            }

            if (_inPos == _inLen && _innerEof && _frameOpen)
            {
                throw new InvalidDataException("truncated zstd data");
            }
        }
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (_dstream != 0)
        {
            ZstdNative.FreeDStream(_dstream);
            _dstream = 0;
        }

        if (disposing && !_leaveOpen)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
