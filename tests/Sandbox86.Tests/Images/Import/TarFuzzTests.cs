using Sandbox86.Images;
using Sandbox86.Images.Fs;
using Sandbox86.Images.Import;

namespace Sandbox86.Tests.Images.Import;

/// <summary>A damaged tarball must end in an <see cref="ImageException"/> or a valid tree, nothing else.</summary>
public sealed class TarFuzzTests
{
    [Fact]
    public void Mutated_tarballs_fail_only_with_image_exceptions()
    {
        var valid = TarFixtures.Build(w =>
        {
            w.Dir("etc/");
            w.File("etc/passwd", "root:x:0:0::/root:/bin/sh\n"u8.ToArray(), (UnixFileMode)0x1A4);
            w.Symlink("bin", "usr/bin");
            w.HardLink("etc/passwd-", "etc/passwd");
            w.File("usr/bin/sh", new byte[3000], (UnixFileMode)0x1ED, 1000, 1000);
        });
        var random = new Random(1986);
        using var dir = new TempDir();
        var path = dir.Combine("fuzz.tar");
        var store = new ChunkStore(dir.Combine("chunks"), compress: false);
        var rejected = 0;
        for (var i = 0; i < 400; i++)
        {
            var data = (byte[])valid.Clone();
            var flips = random.Next(1, 4);
            for (var f = 0; f < flips; f++)
            {
                // Headers are where the parser lives: hit the first 512-byte blocks of each entry most.
                var offset = random.Next(4) == 0 ? random.Next(data.Length) : (random.Next(data.Length / 512) * 512) + random.Next(512);
                data[offset] = (byte)random.Next(256);
            }

            File.WriteAllBytes(path, random.Next(5) == 0 ? data[..random.Next(data.Length)] : data);
            try
            {
                TarImporter.Import(path, store);
            }
            catch (ImageException)
            {
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {i} raised {e}");
            }
        }

        // The mutations must really reach the error paths for this test to mean anything.
        Assert.InRange(rejected, 40, 400);
    }
}
