using System.Text;
using Sandbox86.Images;
using Sandbox86.Images.Fs;

namespace Sandbox86.Tests.Images.Fs;

/// <summary>Mutated inputs must fail only with the documented exception types, never crash or hang.</summary>
public sealed class ParserFuzzTests
{
    private static byte[] ValidIndex()
    {
        var tree = new FsTree();
        tree.AddFile("/usr/bin/sudo", "feedbeef.bin.zst", 232416, 0x9ED, 0, 0, 1600000000);
        tree.AddDirectory("/home/user", 0x1C0, 1000, 1000, 1600000002);
        tree.AddSymlink("/home/user/link", "../../usr/bin/sudo", 1000, 1000, 3);
        using var output = new MemoryStream();
        FsIndexWriter.Write(tree, output);
        return output.ToArray();
    }

    private static byte[] Mutate(byte[] input, Random random)
    {
        var data = (byte[])input.Clone();
        switch (random.Next(3))
        {
            case 0:
                data[random.Next(data.Length)] = (byte)random.Next(256);
                return data;
            case 1:
                return data[..random.Next(data.Length)];
            default:
                const string tokens = "[]{},:\"0123456789-e.\\ ";
                data[random.Next(data.Length)] = (byte)tokens[random.Next(tokens.Length)];
                return data;
        }
    }

    [Fact]
    public void Index_reader_throws_only_image_exceptions()
    {
        var valid = ValidIndex();
        var random = new Random(86);
        for (var i = 0; i < 3000; i++)
        {
            var input = Mutate(valid, random);
            try
            {
                FsIndexReader.Read(new MemoryStream(input));
            }
            catch (ImageException)
            {
            }
            catch (Exception e)
            {
                Assert.Fail($"input {Encoding.UTF8.GetString(input)} raised {e}");
            }
        }
    }

    [Fact]
    public void Zstd_decoder_throws_only_invalid_data()
    {
        var valid = Zstd.Compress(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("fuzz me ", 4000))), 5);
        var random = new Random(386);
        for (var i = 0; i < 2000; i++)
        {
            var input = Mutate(valid, random);
            try
            {
                Zstd.Decompress(input, 64 * 1024);
            }
            catch (InvalidDataException)
            {
            }

            try
            {
                using var stream = new ZstdDecompressStream(new MemoryStream(input));
                stream.CopyTo(Stream.Null);
            }
            catch (InvalidDataException)
            {
            }
        }
    }
}
