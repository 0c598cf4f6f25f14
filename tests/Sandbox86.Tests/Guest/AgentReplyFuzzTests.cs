using System.Text;
using Sandbox86.Guest;
using Sandbox86.Tests.Fuzz;

namespace Sandbox86.Tests.Guest;

/// <summary>
/// What a hostile guest can send the host: hello and stat replies (TLV) and the framed exec stream,
/// against mutants of tests/corpus/{agent-hello,agent-fileinfo,agent-exec-frames}. A bad TLV length is
/// a <see cref="FormatException"/> (the client turns it into an agent error); anything else decodes the
/// same way every time and survives re-encoding.
/// </summary>
public sealed class AgentReplyFuzzTests
{
    [Fact]
    public void Hello_replies_decode_exactly_or_fail_with_format_errors()
    {
        var rejected = FuzzLoop.Run<FormatException>(
            "agent-hello",
            input => AgentHello.Parse(input).ToString(),
            reencode: input =>
            {
                var h = AgentHello.Parse(input);
                return new TlvWriter()
                    .UInt32(AgentTag.Proto, (uint)h.ProtocolVersion)
                    .Bytes(AgentTag.AgentVersion, Encoding.UTF8.GetBytes(h.AgentVersion))
                    .Bytes(AgentTag.Uname, Encoding.UTF8.GetBytes(h.Uname))
                    .UInt32(AgentTag.Pid, (uint)h.Pid)
                    .UInt32(AgentTag.Window, (uint)h.Window)
                    .ToArray();
            });
        Assert.True(rejected > 0, "no mutant reached the TLV reader's error paths");
    }

    [Fact]
    public void File_info_replies_decode_exactly_or_fail_with_format_errors()
    {
        var rejected = FuzzLoop.Run<FormatException>(
            "agent-fileinfo",
            input => string.Join('\n', AgentFileInfo.ParseAll(input, null)),
            reencode: input =>
            {
                var w = new TlvWriter();
                foreach (var f in AgentFileInfo.ParseAll(input, null))
                {
                    w.Bytes(AgentTag.Name, Encoding.UTF8.GetBytes(f.Name))
                        .UInt32(AgentTag.Mode, (uint)f.Mode)
                        .UInt64(AgentTag.Size, (ulong)f.Size)
                        .UInt64(AgentTag.MtimeNs, (ulong)(f.ModifiedAt - DateTimeOffset.UnixEpoch).Ticks * 100)
                        .UInt32(AgentTag.Uid, (uint)f.Uid)
                        .UInt32(AgentTag.Gid, (uint)f.Gid);
                }

                return w.ToArray();
            });
        Assert.True(rejected > 0, "no mutant reached the TLV reader's error paths");
    }

    [Fact]
    public void Exec_frame_streams_decode_the_same_in_any_split_and_exit_payloads_fail_only_with_format_errors()
    {
        var split = new Random(7);
        FuzzLoop.Run<FormatException>(
            "agent-exec-frames",
            input =>
            {
                // The same bytes fed at once and in random pieces must give the same frames.
                var whole = Decode(input, _ => input.Length);
                var pieces = Decode(input, rest => split.Next(1, Math.Min(rest, 40) + 1));
                Assert.Equal(whole, pieces);
                return whole;
            });
    }

    private static string Decode(byte[] input, Func<int, int> pieceLength)
    {
        var decoder = new AgentFrameDecoder();
        var sb = new StringBuilder();
        var at = 0;
        while (at < input.Length)
        {
            var n = pieceLength(input.Length - at);
            decoder.Write(input.AsSpan(at, n));
            at += n;
            while (decoder.TryRead(out var frame))
            {
                sb.Append(frame.Type).Append(' ').Append(frame.Stream).Append(' ').Append(Convert.ToHexString(frame.Payload.Span));
                if (frame.Type == AgentMessageType.Exit)
                {
                    // The exit record is read the way ExecProcess reads it.
                    var r = new TlvReader(frame.Payload.Span);
                    while (r.Read())
                    {
                        sb.Append(' ').Append(r.Tag).Append('=').Append(r.UInt64());
                    }
                }

                sb.Append('\n');
            }
        }

        return sb.Append("dropped ").Append(decoder.FramesDropped).Append(" skipped ").Append(decoder.BytesSkipped).ToString();
    }
}
