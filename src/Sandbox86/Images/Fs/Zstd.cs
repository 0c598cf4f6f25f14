namespace Sandbox86.Images.Fs;

/// <summary>
/// zstd compression through the system libzstd. Every decompression is bounded by the caller,
/// because compressed inputs (chunks, saved states, layers) may come from untrusted sources.
/// </summary>
internal static class Zstd
{
    /// <summary>The four magic bytes that start every zstd frame (0xFD2FB528, little-endian).</summary>
    public static ReadOnlySpan<byte> Magic => [0x28, 0xB5, 0x2F, 0xFD];

    /// <summary>True when <paramref name="data"/> starts with the zstd frame magic.</summary>
    public static bool IsZstdFrame(ReadOnlySpan<byte> data) => data.StartsWith(Magic);

    /// <summary>Compresses <paramref name="data"/> into one frame that records its content size.</summary>
    public static unsafe byte[] Compress(ReadOnlySpan<byte> data, int level)
    {
        var bound = ZstdNative.CompressBound((nuint)data.Length);
        var output = new byte[checked((int)bound)];
        nuint written;
        fixed (byte* src = data)
        fixed (byte* dst = output)
        {
            written = ZstdNative.Compress(dst, bound, src, (nuint)data.Length, level);
        }

        if (ZstdNative.Failed(written))
        {
            throw new InvalidOperationException("zstd compression failed: " + ZstdNative.ErrorName(written));
        }

        return output.AsSpan(0, (int)written).ToArray();
    }

    /// <summary>
    /// Decompresses one or more frames. Throws <see cref="InvalidDataException"/> on corrupt input
    /// or when the output would exceed <paramref name="maxOutput"/> bytes; memory use never exceeds that bound.
    /// </summary>
    public static unsafe byte[] Decompress(ReadOnlySpan<byte> data, long maxOutput)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxOutput);
        if (!IsZstdFrame(data))
        {
            throw new InvalidDataException("not a zstd frame (bad magic)");
        }

        ulong declared;
        fixed (byte* src = data)
        {
            declared = ZstdNative.GetFrameContentSize(src, (nuint)data.Length);
        }

        if (declared == ZstdNative.ContentSizeError)
        {
            throw new InvalidDataException("corrupt zstd frame header");
        }

        if (declared != ZstdNative.ContentSizeUnknown)
        {
            if (declared > (ulong)maxOutput || declared > (ulong)Array.MaxLength)
            {
                throw new InvalidDataException($"zstd frame declares {declared} bytes, over the limit of {maxOutput}");
            }

            var output = new byte[(int)declared];
            nuint got;
            fixed (byte* src = data)
            fixed (byte* dst = output)
            {
                got = ZstdNative.Decompress(dst, (nuint)output.Length, src, (nuint)data.Length);
            }

            if (!ZstdNative.Failed(got) && got == (nuint)output.Length)
            {
                return output;
            }

            // Several concatenated frames exceed the first frame's size: take the streaming path,
            // which also reports genuine corruption.
        }

        return DecompressStreaming(data, maxOutput);
    }

    /// <summary>
    /// Compresses <paramref name="input"/> to <paramref name="output"/> as one frame without holding
    /// the whole content in memory. <paramref name="pledgedSize"/> (when known) is written into the
    /// frame header so decoders that want the size up front (v86's) get it.
    /// </summary>
    public static unsafe void CompressStream(Stream input, Stream output, int level, long pledgedSize = -1)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        var cctx = ZstdNative.CreateCCtx();
        if (cctx == 0)
        {
            throw new InvalidOperationException("ZSTD_createCCtx failed");
        }

        var inBuf = new byte[128 * 1024];
        var outBuf = new byte[(int)ZstdNative.CompressBound(128 * 1024)];
        try
        {
            Check(ZstdNative.CCtxSetParameter(cctx, ZstdNative.CParamCompressionLevel, level));
            if (pledgedSize >= 0)
            {
                Check(ZstdNative.CCtxSetPledgedSrcSize(cctx, (ulong)pledgedSize));
            }

            fixed (byte* inPtr = inBuf)
            fixed (byte* outPtr = outBuf)
            {
                while (true)
                {
                    var n = input.ReadAtLeast(inBuf, inBuf.Length, throwOnEndOfStream: false);
                    var last = n < inBuf.Length;
                    var src = new ZstdNative.Buffer { Data = inPtr, Size = (nuint)n, Pos = 0 };
                    var mode = last ? ZstdNative.EndDirectiveEnd : ZstdNative.EndDirectiveContinue;
                    nuint remaining;
                    do
                    {
                        var dst = new ZstdNative.Buffer { Data = outPtr, Size = (nuint)outBuf.Length, Pos = 0 };
                        remaining = ZstdNative.CompressStream2(cctx, &dst, &src, mode);
                        Check(remaining);
                        output.Write(outBuf, 0, (int)dst.Pos);
                    }
                    while (last ? remaining != 0 : src.Pos < src.Size);

                    if (last)
                    {
                        return;
                    }
                }
            }
        }
        finally
        {
            ZstdNative.FreeCCtx(cctx);
        }
    }

    private static unsafe byte[] DecompressStreaming(ReadOnlySpan<byte> data, long maxOutput)
    {
        using var source = new MemoryStream(data.ToArray(), writable: false);
        using var reader = new ZstdDecompressStream(source, leaveOpen: false);
        using var result = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = reader.Read(buffer, 0, buffer.Length)) > 0)
        {
            if (result.Length + n > maxOutput)
            {
                throw new InvalidDataException($"zstd data decompresses to more than the limit of {maxOutput} bytes");
            }

            result.Write(buffer, 0, n);
        }

        return result.ToArray();
    }

    private static void Check(nuint code)
    {
        if (ZstdNative.Failed(code))
        {
            throw new InvalidOperationException("zstd: " + ZstdNative.ErrorName(code));
        }
    }
}
