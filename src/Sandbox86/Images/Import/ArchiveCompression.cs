using System.IO.Compression;
using Sandbox86.Images.Fs;

namespace Sandbox86.Images.Import;

/// <summary>
/// Recognises how an archive is compressed by its magic bytes (never by its file name) and opens a
/// decompressing view: gzip and zstd in-process; xz and bzip2 through the system's xz/bzip2 programs,
/// which .NET cannot decode itself.
/// </summary>
internal static class ArchiveCompression
{
    public enum Kind
    {
        None,
        Gzip,
        Zstd,
        Xz,
        Bzip2,
    }

    /// <summary>Peeks at the first bytes of a seekable stream and restores its position.</summary>
    public static Kind Detect(Stream seekable)
    {
        var start = seekable.Position;
        Span<byte> head = stackalloc byte[6];
        var n = seekable.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        seekable.Position = start;
        head = head[..n];
        if (head.StartsWith((ReadOnlySpan<byte>)[0x1F, 0x8B]))
        {
            return Kind.Gzip;
        }

        if (Zstd.IsZstdFrame(head))
        {
            return Kind.Zstd;
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]))
        {
            return Kind.Xz;
        }

        return head.StartsWith("BZh"u8) ? Kind.Bzip2 : Kind.None;
    }

    /// <summary>Returns a stream of the decompressed content; disposing it disposes <paramref name="seekable"/>.</summary>
    public static Stream OpenDecompressed(Stream seekable, string description)
    {
        return Detect(seekable) switch
        {
            Kind.Gzip => new GZipStream(seekable, CompressionMode.Decompress),
            Kind.Zstd => new ZstdDecompressStream(seekable),
            Kind.Xz => new ExternalDecompressStream(seekable, "xz", description),
            Kind.Bzip2 => new ExternalDecompressStream(seekable, "bzip2", description),
            _ => seekable,
        };
    }
}
