using System.Runtime.InteropServices;

namespace Sandbox86.Images.Fs;

/// <summary>
/// Debian's libzstd (package libzstd1). No managed zstd is available to this project, and the
/// system library is the same one the zstd CLI uses, so frames interoperate with v86's decoder.
/// </summary>
internal static partial class ZstdNative
{
    private const string Lib = "libzstd.so.1";

    internal const int CParamCompressionLevel = 100;
    internal const int CParamChecksumFlag = 201;
    internal const int EndDirectiveContinue = 0;
    internal const int EndDirectiveEnd = 2;

    internal const ulong ContentSizeUnknown = unchecked((ulong)-1);
    internal const ulong ContentSizeError = unchecked((ulong)-2);

    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct Buffer
    {
        public byte* Data;
        public nuint Size;
        public nuint Pos;
    }

    [LibraryImport(Lib, EntryPoint = "ZSTD_compressBound")]
    internal static partial nuint CompressBound(nuint srcSize);

    [LibraryImport(Lib, EntryPoint = "ZSTD_compress")]
    internal static unsafe partial nuint Compress(byte* dst, nuint dstCapacity, byte* src, nuint srcSize, int level);

    [LibraryImport(Lib, EntryPoint = "ZSTD_decompress")]
    internal static unsafe partial nuint Decompress(byte* dst, nuint dstCapacity, byte* src, nuint srcSize);

    [LibraryImport(Lib, EntryPoint = "ZSTD_getFrameContentSize")]
    internal static unsafe partial ulong GetFrameContentSize(byte* src, nuint srcSize);

    [LibraryImport(Lib, EntryPoint = "ZSTD_isError")]
    internal static partial uint IsError(nuint code);

    [LibraryImport(Lib, EntryPoint = "ZSTD_getErrorName")]
    internal static partial nint GetErrorName(nuint code);

    [LibraryImport(Lib, EntryPoint = "ZSTD_createCCtx")]
    internal static partial nint CreateCCtx();

    [LibraryImport(Lib, EntryPoint = "ZSTD_freeCCtx")]
    internal static partial nuint FreeCCtx(nint cctx);

    [LibraryImport(Lib, EntryPoint = "ZSTD_CCtx_setParameter")]
    internal static partial nuint CCtxSetParameter(nint cctx, int param, int value);

    [LibraryImport(Lib, EntryPoint = "ZSTD_CCtx_setPledgedSrcSize")]
    internal static partial nuint CCtxSetPledgedSrcSize(nint cctx, ulong size);

    [LibraryImport(Lib, EntryPoint = "ZSTD_compressStream2")]
    internal static unsafe partial nuint CompressStream2(nint cctx, Buffer* output, Buffer* input, int endOp);

    [LibraryImport(Lib, EntryPoint = "ZSTD_createDStream")]
    internal static partial nint CreateDStream();

    [LibraryImport(Lib, EntryPoint = "ZSTD_freeDStream")]
    internal static partial nuint FreeDStream(nint dstream);

    [LibraryImport(Lib, EntryPoint = "ZSTD_initDStream")]
    internal static partial nuint InitDStream(nint dstream);

    [LibraryImport(Lib, EntryPoint = "ZSTD_decompressStream")]
    internal static unsafe partial nuint DecompressStream(nint dstream, Buffer* output, Buffer* input);

    internal static bool Failed(nuint code) => IsError(code) != 0;

    internal static string ErrorName(nuint code) =>
        Marshal.PtrToStringAnsi(GetErrorName(code)) ?? "unknown zstd error";
}
