using Sandbox86.Images;
using Sandbox86.Images.Fs;
using Sandbox86.Tests.Fuzz;

namespace Sandbox86.Tests.Images.Fs;

/// <summary>
/// The image index and the zstd decoder against mutants of tests/corpus/{fs-index,zstd}: seeds decode
/// to their originals; a mutant throws only the documented type or decodes the same way every time.
/// </summary>
public sealed class ParserFuzzTests
{
    [Fact]
    public void Index_reader_decodes_seeds_exactly_and_mutants_consistently_or_throws_image_exceptions()
    {
        var rejected = FuzzLoop.Run<ImageException>(
            "fs-index",
            input => TreeListing.Of(FsIndexReader.Read(new MemoryStream(input))),
            reencode: input =>
            {
                using var output = new MemoryStream();
                FsIndexWriter.Write(FsIndexReader.Read(new MemoryStream(input)), output);
                return output.ToArray();
            });
        Assert.True(rejected > 0, "no mutant reached the index reader's error paths");
    }

    [Fact]
    public void Zstd_decoder_decodes_seeds_exactly_and_mutants_consistently_or_throws_invalid_data()
    {
        const long cap = 256 * 1024;
        var rejected = FuzzLoop.Run<InvalidDataException>(
            "zstd",
            input =>
            {
                // The one-shot decoder and the streaming decoder must agree on every input.
                var oneShot = Zstd.Decompress(input, cap);
                using var stream = new ZstdDecompressStream(new MemoryStream(input));
                using var streamed = new MemoryStream();
                stream.CopyTo(streamed);
                Assert.Equal(oneShot, streamed.ToArray());
                return Convert.ToBase64String(oneShot);
            },
            reencode: input => Zstd.Compress(Zstd.Decompress(input, cap), 3));
        Assert.True(rejected > 0, "no mutant reached the zstd decoder's error paths");
    }
}
