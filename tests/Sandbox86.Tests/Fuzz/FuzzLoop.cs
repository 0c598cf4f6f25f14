using System.Globalization;
using System.Text;

namespace Sandbox86.Tests.Fuzz;

/// <summary>
/// One fuzz loop with an oracle, shared by every parser target. Each seed (from
/// <c>tests/corpus/&lt;parser&gt;/</c>, committed) must decode to the canonical form stored next to it
/// in <c>&lt;seed&gt;.expected</c>. Each mutant must either throw only the parser's allowed exception
/// type, or decode consistently: the same canonical form twice, and through the parser's re-encoder
/// (when it has one) back to the same form. A decoder that always throws fails on the seeds; one that
/// crashes, hangs or decodes nondeterministically fails on the mutants.
/// </summary>
internal static class FuzzLoop
{
    /// <summary>Mutants per parser: <c>SANDBOX86_FUZZ_ITERATIONS</c>, else a CI-sized default.</summary>
    public static int Iterations(int ciDefault = 3000)
    {
        var text = Environment.GetEnvironmentVariable("SANDBOX86_FUZZ_ITERATIONS");
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : ciDefault;
    }

    /// <summary>The committed seeds of one parser, sorted by name (the .expected files excluded).</summary>
    public static IReadOnlyList<(string Name, byte[] Data, string Expected)> Corpus(string parser)
    {
        var dir = Path.Combine(CorpusRoot(), parser);
        Assert.True(Directory.Exists(dir), $"fuzz corpus {dir} is missing");
        var seeds = Directory.GetFiles(dir)
            .Where(f => !f.EndsWith(".expected", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(f => (Path.GetFileName(f), File.ReadAllBytes(f), File.ReadAllText(f + ".expected", Encoding.UTF8)))
            .ToList();
        Assert.NotEmpty(seeds);
        return seeds;
    }

    /// <summary>
    /// Runs the loop. <paramref name="decode"/> returns a canonical string for an input (or throws);
    /// <paramref name="reencode"/>, if given, decodes an accepted input and encodes it again with the
    /// parser's own writer (parse(emit(x)) == x).
    /// Returns how many mutants were rejected, so a target can check its mutations reach the error paths.
    /// </summary>
    public static int Run<TAllowed>(
        string parser,
        Func<byte[], string> decode,
        Func<byte[], byte[]>? reencode = null,
        Func<byte[], Random, byte[]>? mutate = null,
        int ciIterations = 3000)
        where TAllowed : Exception
    {
        var corpus = Corpus(parser);
        foreach (var (name, data, expected) in corpus)
        {
            Assert.Equal(expected, decode(data));
            if (reencode is not null)
            {
                Assert.Equal(expected, decode(reencode(data)));
            }
        }

        mutate ??= Mutate;
        var random = new Random(HashCode(parser));
        var rejected = 0;
        var iterations = Iterations(ciIterations);
        for (var i = 0; i < iterations; i++)
        {
            var input = mutate(corpus[i % corpus.Count].Data, random);
            string first;
            try
            {
                first = decode(input);
            }
            catch (TAllowed)
            {
                rejected++;
                continue;
            }
            catch (Exception e)
            {
                Assert.Fail($"{parser} mutant {i} ({Convert.ToHexString(input.AsSpan(0, Math.Min(input.Length, 256)))}) raised {e}");
                throw;
            }

            var second = decode(input);
            Assert.True(first == second, $"{parser} mutant {i} decoded differently the second time:\n{Clip(first)}\n---\n{Clip(second)}");
            if (reencode is not null)
            {
                Assert.True(first == decode(reencode(input)), $"{parser} mutant {i} does not survive re-encoding: {first}");
            }
        }

        return rejected;
    }

    /// <summary>A byte flip, a truncation, a duplicated or deleted run, or a flipped length-like byte.</summary>
    public static byte[] Mutate(byte[] input, Random random)
    {
        if (input.Length == 0)
        {
            return [(byte)random.Next(256)];
        }

        var data = (byte[])input.Clone();
        switch (random.Next(5))
        {
            case 0:
                for (var n = random.Next(1, 4); n > 0; n--)
                {
                    data[random.Next(data.Length)] = (byte)random.Next(256);
                }

                return data;
            case 1:
                return data[..random.Next(data.Length)];
            case 2:
                {
                    var at = random.Next(data.Length);
                    var len = random.Next(1, Math.Min(64, data.Length - at) + 1);
                    return [.. data[..(at + len)], .. data[at..]];
                }

            case 3:
                {
                    var at = random.Next(data.Length);
                    var len = random.Next(1, Math.Min(64, data.Length - at) + 1);
                    return [.. data[..at], .. data[(at + len)..]];
                }

            default:
                // Lengths and counts: the interesting values around the edges.
                byte[] edges = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF];
                data[random.Next(data.Length)] = edges[random.Next(edges.Length)];
                return data;
        }
    }

    private static string Clip(string text) => text.Length <= 2000 ? text : text[..2000] + "…";

    /// <summary>A stable seed per parser (string.GetHashCode is randomized per process).</summary>
    private static int HashCode(string text)
    {
        var h = 17;
        foreach (var c in text)
        {
            h = unchecked((h * 31) + c);
        }

        return h;
    }

    private static string CorpusRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "corpus");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"tests/corpus not found above {AppContext.BaseDirectory}");
    }
}
