using System.Text;
using Sandbox86.Network.Relay;
using Sandbox86.Tests.Fuzz;

namespace Sandbox86.Tests.Network.Relay;

/// <summary>
/// The relay's HTTP upgrade parser against mutants of tests/corpus/websocket-handshake: it never
/// throws (a bad request is null, i.e. a 400), and what it accepts it reads the same way every time.
/// </summary>
public sealed class WebSocketHandshakeFuzzTests
{
    /// <summary>Never thrown: any exception from the parser fails the loop.</summary>
    private sealed class NeverThrown : Exception;

    [Fact]
    public void Handshakes_decode_exactly_and_mutants_never_throw()
    {
        FuzzLoop.Run<NeverThrown>("websocket-handshake", Describe);
    }

    private static string Describe(byte[] input)
    {
        // A MemoryStream completes synchronously, so blocking here cannot deadlock.
        var h = WebSocketHandshake.ReadAsync(new MemoryStream(input), CancellationToken.None).GetAwaiter().GetResult();
        if (h is null)
        {
            return "rejected";
        }

        var sb = new StringBuilder().Append(h.Target).Append('\n');
        foreach (var (k, v) in h.Headers.OrderBy(e => e.Key, StringComparer.OrdinalIgnoreCase).Select(e => (e.Key, e.Value)))
        {
            sb.Append(k.ToUpperInvariant()).Append(": ").Append(v).Append('\n');
        }

        return sb.Append("upgrade=").Append(h.IsUpgrade)
            .Append(" token=").Append(h.QueryValue("token"))
            .Append(" protocols=").Append(string.Join(',', h.Subprotocols)).ToString();
    }
}
