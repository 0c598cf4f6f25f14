using Sandbox86.Images;
using Sandbox86.Images.Fs;
using Sandbox86.Images.Import;
using Sandbox86.Tests.Fuzz;

namespace Sandbox86.Tests.Images.Import;

/// <summary>A damaged tarball must end in an <see cref="ImageException"/> or the same tree every time.</summary>
public sealed class TarFuzzTests
{
    [Fact]
    public void Tar_importer_decodes_seeds_exactly_and_mutants_consistently_or_throws_image_exceptions()
    {
        using var dir = new TempDir();
        var path = dir.Combine("fuzz.tar");
        var store = new ChunkStore(dir.Combine("chunks"), compress: false);
        var rejected = FuzzLoop.Run<ImageException>(
            "tar",
            input =>
            {
                File.WriteAllBytes(path, input);
                return TreeListing.Of(TarImporter.Import(path, store).Tree);
            },
            mutate: MutateHeaders,
            // Each mutant is a file import; keep the CI default small.
            ciIterations: 400);

        // The mutations must really reach the error paths for this test to mean anything.
        Assert.True(rejected > 0, "no mutant reached the tar importer's error paths");
    }

    [Fact]
    public void A_pax_header_with_a_huge_size_is_an_image_exception()
    {
        // Found by the loop at 10^6: TarReader throws InvalidOperationException for this one.
        var data = File.ReadAllBytes(Path.Combine(CorpusDirectory(), "pax.tar"));
        Assert.Equal((byte)'x', data[156]);
        "20000000004\0"u8.CopyTo(data.AsSpan(124));
        "        "u8.CopyTo(data.AsSpan(148));
        var sum = data.AsSpan(0, 512).ToArray().Sum(b => b);
        System.Text.Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(data.AsSpan(148));
        using var dir = new TempDir();
        var path = dir.Combine("huge-pax.tar");
        File.WriteAllBytes(path, data);

        var ex = Assert.Throws<ImageException>(() => TarImporter.Import(path, new ChunkStore(dir.Combine("chunks"), compress: false)));
        Assert.IsType<InvalidOperationException>(ex.InnerException);
    }

    [Fact]
    public void A_gnu_sparse_entry_is_an_image_exception()
    {
        // Found by the loop at 10^6: TarReader throws NotSupportedException for type 'S'.
        var data = File.ReadAllBytes(Path.Combine(CorpusDirectory(), "ustar.tar"));
        data[156] = (byte)'S';
        "        "u8.CopyTo(data.AsSpan(148));
        var sum = data.AsSpan(0, 512).ToArray().Sum(b => b);
        System.Text.Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(data.AsSpan(148));
        using var dir = new TempDir();
        var path = dir.Combine("sparse.tar");
        File.WriteAllBytes(path, data);

        Assert.Throws<ImageException>(() => TarImporter.Import(path, new ChunkStore(dir.Combine("chunks"), compress: false)));
    }

    private static string CorpusDirectory()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "tests", "corpus", "tar");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("tests/corpus/tar");
    }

    private static byte[] MutateHeaders(byte[] input, Random random)
    {
        if (random.Next(3) == 0)
        {
            return FuzzLoop.Mutate(input, random);
        }

        // Headers are where the parser lives: hit the 512-byte blocks.
        var data = (byte[])input.Clone();
        for (var f = random.Next(1, 4); f > 0; f--)
        {
            data[(random.Next(data.Length / 512) * 512) + random.Next(512)] = (byte)random.Next(256);
        }

        return data;
    }
}
