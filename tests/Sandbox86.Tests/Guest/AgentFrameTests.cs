using Sandbox86.Guest;

namespace Sandbox86.Tests.Guest;

public sealed class AgentFrameTests
{
    private static readonly AgentMessageType[] Types = Enum.GetValues<AgentMessageType>();

    [Fact]
    public void Parse_of_emit_is_identity_for_random_frames()
    {
        var rng = new Random(1);
        for (var i = 0; i < 500; i++)
        {
            var frame = RandomFrame(rng, i % 50 == 0 ? AgentFrame.MaxPayload : 300);
            var bytes = frame.ToArray();

            Assert.Equal(AgentParseStatus.Frame, AgentFrame.Parse(bytes, out var parsed, out var consumed));
            Assert.Equal(bytes.Length, consumed);
            Assert.Equal(frame.Type, parsed.Type);
            Assert.Equal(frame.Stream, parsed.Stream);
            Assert.True(frame.Payload.Span.SequenceEqual(parsed.Payload.Span));
        }
    }

    [Fact]
    public void Emit_matches_the_documented_layout()
    {
        var bytes = new AgentFrame(AgentMessageType.Ping, 0x01020304, new byte[] { 9 }).ToArray();

        Assert.Equal(new byte[] { 0xA5, 0x86, 1, 0x02, 4, 3, 2, 1, 1, 0, 0, 0 }, bytes[..12]);
        Assert.Equal(Crc32.Append(Crc32.Compute(bytes.AsSpan(0, 12)), [9]), BitConverter.ToUInt32(bytes, 12));
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8)); // the standard check value
    }

    [Fact]
    public void Every_prefix_of_a_frame_needs_more()
    {
        var bytes = new AgentFrame(AgentMessageType.Exec, 7, new byte[100]).ToArray();
        for (var n = 0; n < bytes.Length; n++)
        {
            Assert.Equal(AgentParseStatus.NeedMore, AgentFrame.Parse(bytes.AsSpan(0, n), out _, out var consumed));
            Assert.Equal(0, consumed);
        }
    }

    [Fact]
    public void Oversize_length_is_rejected_from_the_header_alone()
    {
        var bytes = new AgentFrame(AgentMessageType.Stdout, 1, new byte[4]).ToArray();
        BitConverter.TryWriteBytes(bytes.AsSpan(8), (uint)AgentFrame.MaxPayload + 1);

        Assert.Equal(AgentParseStatus.Oversize, AgentFrame.Parse(bytes.AsSpan(0, AgentFrame.HeaderLength), out _, out var consumed));
        Assert.True(consumed >= 1);
    }

    [Fact]
    public void Bad_crc_and_bad_version_are_dropped()
    {
        var bytes = new AgentFrame(AgentMessageType.Stdout, 1, new byte[] { 1, 2, 3 }).ToArray();
        var crc = (byte[])bytes.Clone();
        crc[^1] ^= 1;
        var version = (byte[])bytes.Clone();
        version[2] = 2;

        Assert.Equal(AgentParseStatus.BadCrc, AgentFrame.Parse(crc, out _, out _));
        Assert.Equal(AgentParseStatus.BadVersion, AgentFrame.Parse(version, out _, out _));
    }

    [Fact]
    public void Decoder_reassembles_frames_split_at_any_boundary()
    {
        var rng = new Random(2);
        var frames = Enumerable.Range(0, 200).Select(_ => RandomFrame(rng, 2000)).ToList();
        var stream = frames.SelectMany(f => f.ToArray()).ToArray();
        var decoder = new AgentFrameDecoder();
        var parsed = new List<AgentFrame>();
        for (var pos = 0; pos < stream.Length;)
        {
            var n = Math.Min(stream.Length - pos, rng.Next(1, 5000));
            decoder.Write(stream.AsSpan(pos, n));
            pos += n;
            while (decoder.TryRead(out var f))
            {
                parsed.Add(f);
            }
        }

        Assert.Equal(frames.Count, parsed.Count);
        Assert.All(frames.Zip(parsed), p => Assert.True(p.First.Payload.Span.SequenceEqual(p.Second.Payload.Span) && p.First.Stream == p.Second.Stream));
        Assert.Equal(0, decoder.FramesDropped);
    }

    [Fact]
    public void Decoder_survives_random_bytes_and_recovers_afterwards()
    {
        var rng = new Random(3);
        var decoder = new AgentFrameDecoder();
        for (var round = 0; round < 200; round++)
        {
            var junk = new byte[rng.Next(0, 3000)];
            rng.NextBytes(junk);
            // Bias the junk towards the magic so headers with wild lengths and bad CRCs are common.
            for (var i = 0; i + 1 < junk.Length; i += rng.Next(2, 40))
            {
                junk[i] = AgentFrame.Magic0;
                junk[i + 1] = AgentFrame.Magic1;
                if (i + 2 < junk.Length)
                {
                    junk[i + 2] = AgentFrame.Version;
                }
            }

            decoder.Write(junk);
            while (decoder.TryRead(out _))
            {
            }
        }

        // A junk header may claim up to 64 KiB; a clean frame after that much filler must come through.
        decoder.Write(new byte[AgentFrame.HeaderLength + AgentFrame.MaxPayload]);
        var marker = new AgentFrame(AgentMessageType.Pong, 4242, "ok"u8.ToArray());
        decoder.Write(marker.ToArray());
        var found = false;
        while (decoder.TryRead(out var f))
        {
            found |= f.Stream == 4242 && f.Type == AgentMessageType.Pong;
        }

        Assert.True(found);
        Assert.True(decoder.BytesSkipped > 0);
    }

    [Fact]
    public void Corrupting_one_frame_loses_only_that_frame()
    {
        var rng = new Random(4);
        for (var trial = 0; trial < 200; trial++)
        {
            var frames = Enumerable.Range(0, 5).Select(i => new AgentFrame(AgentMessageType.Stdout, (uint)i + 1, RandomBytes(rng, 200))).ToList();
            var chunks = frames.Select(f => f.ToArray()).ToList();
            var victim = rng.Next(chunks.Count);
            chunks[victim][rng.Next(chunks[victim].Length)] ^= (byte)rng.Next(1, 256);
            var decoder = new AgentFrameDecoder();
            decoder.Write(chunks.SelectMany(c => c).ToArray());
            var streams = new List<uint>();
            while (decoder.TryRead(out var f))
            {
                streams.Add(f.Stream);
            }

            // A flipped bit can at worst hide its own frame. A corrupted length makes the decoder wait for
            // bytes that never come, so filler flushes it; the followers are then rescanned, not lost.
            decoder.Write(new byte[AgentFrame.HeaderLength + AgentFrame.MaxPayload]);
            decoder.Write(new AgentFrame(AgentMessageType.Pong, 99, ReadOnlyMemory<byte>.Empty).ToArray());
            while (decoder.TryRead(out var f))
            {
                streams.Add(f.Stream);
            }

            Assert.Contains(99u, streams);
            foreach (var i in Enumerable.Range(0, 5).Where(i => i != victim))
            {
                Assert.Contains((uint)i + 1, streams);
            }
        }
    }

    [Fact]
    public void Tlv_reader_rejects_lengths_beyond_the_payload()
    {
        var good = new TlvWriter().String(AgentTag.Path, "/x").UInt32(AgentTag.Mode, 7).ToArray();
        var r = new TlvReader(good);
        Assert.True(r.Read());
        Assert.Equal("/x", r.String());
        Assert.True(r.Read());
        Assert.Equal(7, r.Int32());
        Assert.False(r.Read());

        var bad = (byte[])good.Clone();
        bad[1] = 0xFF;
        Assert.Throws<FormatException>(() =>
        {
            var rr = new TlvReader(bad);
            while (rr.Read())
            {
            }
        });
    }

    private static AgentFrame RandomFrame(Random rng, int maxPayload) =>
        new(Types[rng.Next(Types.Length)], (uint)rng.NextInt64(0, uint.MaxValue + 1L), RandomBytes(rng, rng.Next(0, maxPayload + 1)));

    private static byte[] RandomBytes(Random rng, int n)
    {
        var b = new byte[n];
        rng.NextBytes(b);
        return b;
    }
}
