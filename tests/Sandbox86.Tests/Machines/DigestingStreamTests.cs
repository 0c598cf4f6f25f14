using System.Security.Cryptography;
using Sandbox86.Images.Fs;
using Sandbox86.Machines;

namespace Sandbox86.Tests.Machines;

/// <summary>A snapshot's digest is taken while it is written: it must be the digest of the bytes on disk.</summary>
public sealed class DigestingStreamTests
{
    [Fact]
    public void The_digest_and_count_are_those_of_the_bytes_written_through_it_by_zstd()
    {
        var raw = new byte[3 * 1024 * 1024 + 17];
        new Random(86).NextBytes(raw.AsSpan(0, raw.Length / 2));
        using var file = new MemoryStream();
        string digest;
        using (var output = new DigestingStream(file))
        {
            Zstd.CompressStream(new MemoryStream(raw), output, 1, raw.Length);
            digest = output.Digest();
            Assert.Equal(file.Length, output.BytesWritten);
        }

        var written = file.ToArray();
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(written)), digest);
        Assert.Equal(raw, Zstd.Decompress(written, raw.Length));
        Assert.Throws<NotSupportedException>(() => new DigestingStream(new MemoryStream()).ReadByte());
    }
}
