using System.Text;
using Sandbox86.Images.Fs;

namespace Sandbox86.Tests.Images.Fs;

public sealed class ZstdTests
{
    private static byte[] Sample(int length)
    {
        var data = new byte[length];
        for (var i = 0; i < length; i++)
        {
            data[i] = (byte)((i * 7) % 13);
        }

        return data;
    }

    [Fact]
    public void Round_trip_restores_content_and_marks_frame()
    {
        var data = Sample(100_000);
        var compressed = Zstd.Compress(data, 3);
        Assert.True(Zstd.IsZstdFrame(compressed));
        Assert.True(compressed.Length < data.Length / 10);
        Assert.Equal(data, Zstd.Decompress(compressed, data.Length));
    }

    [Fact]
    public void Decompress_rejects_output_over_limit()
    {
        var compressed = Zstd.Compress(Sample(10_000), 3);
        Assert.Throws<InvalidDataException>(() => Zstd.Decompress(compressed, 9_999));
    }

    [Fact]
    public void Decompress_rejects_corrupt_input()
    {
        var compressed = Zstd.Compress(Sample(50_000), 3);
        for (var i = 8; i < compressed.Length; i++)
        {
            compressed[i] ^= 0x5A;
        }

        Assert.Throws<InvalidDataException>(() => Zstd.Decompress(compressed, 1 << 20));
        Assert.Throws<InvalidDataException>(() => Zstd.Decompress(Encoding.ASCII.GetBytes("not zstd at all"), 100));
    }

    [Fact]
    public void Streaming_frames_of_unknown_size_decompress_and_truncation_is_detected()
    {
        var data = Sample(300_000);
        using var compressed = new MemoryStream();
        // A non-seekable source with no pledged size gives a frame without a content size.
        Zstd.CompressStream(new MemoryStream(data), compressed, 3);
        var bytes = compressed.ToArray();
        Assert.Equal(data, Zstd.Decompress(bytes, data.Length));

        using var reader = new ZstdDecompressStream(new MemoryStream(bytes[..(bytes.Length / 2)]));
        Assert.Throws<InvalidDataException>(() => reader.CopyTo(Stream.Null));
    }
}
