using System.Globalization;
using Sandbox86.Mounts.Host;
using Sandbox86.Mounts.Server;
using Sandbox86.Mounts.Wire;
using Sandbox86.Tests.Fuzz;
using Sandbox86.Tests.Images;

namespace Sandbox86.Tests.Mounts;

/// <summary>
/// The 9P message parser and dispatcher against mutants of tests/corpus/9p: each input is framed as the
/// session frames it (its declared size checked against msize) and answered by a fresh server on a
/// read-only export (so no mutant changes what the next one sees). Every input either is rejected as
/// unframeable (<see cref="NineFormatException"/>) or gets one well-formed reply, the same every time.
/// <c>SANDBOX86_FUZZ_ITERATIONS=1000000</c> runs the 10⁶ inputs.
/// </summary>
public sealed class NineParserFuzzTests
{
    private const int Msize = 65536;

    [Fact]
    public void Requests_get_one_bounded_reply_and_mutants_never_crash_the_server()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Combine("d"));
        File.WriteAllText(dir.Combine("f"), "abc");
        var rejected = FuzzLoop.Run<NineFormatException>("9p", input => Answer(dir.Path, input), ciIterations: 5000);
        Assert.True(rejected > 0, "no mutant reached the framing checks");
    }

    /// <summary>"type errno length" of the reply (qid paths and times vary between runs, lengths do not).</summary>
    private static string Answer(string root, byte[] input)
    {
        if (input.Length < NineFrame.HeaderSize || NineFrame.DeclaredSize(input, Msize) != input.Length)
        {
            throw new NineFormatException("not one whole frame");
        }

        using var server = new NineServer([new NineExport("0"u8.ToArray(), HostFs.OpenRoot(root), readOnly: true)], new NineLimits { MaxMessageSize = Msize });
        var client = new NineTestClient(server);
        client.Version(Msize);
        Assert.Equal(0, client.Attach(1));
        Assert.Equal(0, client.WalkAll(1, 2, "0"));
        var reply = client.Raw(input);
        Assert.InRange(reply.Length, NineFrame.HeaderSize, Msize);
        Assert.Equal(reply.Length, BitConverter.ToInt32(reply, 0));
        Assert.Equal(input[5..7], reply[5..7]);
        return string.Create(CultureInfo.InvariantCulture, $"{reply[4]} {NineTestClient.Error(reply)} {reply.Length}");
    }
}
