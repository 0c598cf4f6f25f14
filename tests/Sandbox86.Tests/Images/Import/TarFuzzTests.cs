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
