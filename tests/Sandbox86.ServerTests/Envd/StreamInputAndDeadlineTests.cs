using System.Buffers.Binary;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Sandbox86.ServerTests.Envd;

/// <summary>Client streaming (StreamInput over HTTP/1.1) and the unary Connect deadline, against a real VM.</summary>
public sealed class StreamInputAndDeadlineTests(EnvdFixture fixture) : IClassFixture<EnvdFixture>
{
    [Fact]
    public async Task StreamInput_feeds_stdin_of_a_started_process_in_order()
    {
        using var client = new ConnectClient(fixture.BaseUri, "sbx-1");
        var start = """{"process":{"cmd":"/bin/sh","args":["-c","head -n 2; echo done"]},"stdin":true}""";
        using var started = await client.SendAsync(client.Request(HttpMethod.Post, "/process.Process/Start", Enveloped(start)), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(200, (int)started.StatusCode);
        await using var events = await started.Content.ReadAsStreamAsync();
        var first = await ReadFrameAsync(events);
        var pid = first!.Value.Message.GetProperty("event").GetProperty("start").GetProperty("pid").GetUInt32();

        // One client stream: the start event, then two data events; the body's end closes the stream.
        var input = new MemoryStream();
        foreach (var json in new[]
        {
            "{\"start\":{\"process\":{\"pid\":" + pid + "}}}",
            """{"data":{"input":{"stdin":"Zmlyc3QK"}}}""",
            """{"keepalive":{}}""",
            """{"data":{"input":{"stdin":"c2Vjb25kCnRoaXJkCg=="}}}""",
        })
        {
            input.Write(ConnectClient.Envelope(Encoding.UTF8.GetBytes(json)));
        }

        var body = new ByteArrayContent(input.ToArray());
        body.Headers.ContentType = new MediaTypeHeaderValue("application/connect+json");
        using (var streamed = await client.SendAsync(client.Request(HttpMethod.Post, "/process.Process/StreamInput", body)))
        {
            Assert.Equal(200, (int)streamed.StatusCode);
            var frames = ReadAll(await streamed.Content.ReadAsByteArrayAsync());
            Assert.Equal(2, frames.Count);
            Assert.Equal((byte)0, frames[0].Flags);
            Assert.Equal((byte)2, frames[1].Flags);
            Assert.Equal("{}", frames[1].Message.GetRawText());
        }

        var stdout = new StringBuilder();
        while (await ReadFrameAsync(events) is { } frame && frame.Flags == 0)
        {
            if (frame.Message.GetProperty("event").TryGetProperty("data", out var data) && data.TryGetProperty("stdout", out var o))
            {
                stdout.Append(Encoding.UTF8.GetString(o.GetBytesFromBase64()));
            }
        }

        Assert.Equal("first\nsecond\ndone\n", stdout.ToString());
    }

    [Fact]
    public async Task StreamInput_without_a_start_event_or_with_a_truncated_envelope_is_an_error()
    {
        using var client = new ConnectClient(fixture.BaseUri, "sbx-1");
        var noStart = await client.StreamAsync("/process.Process/StreamInput", """{"data":{"input":{"stdin":"eA=="}}}""");
        Assert.Equal("invalid_argument", Assert.Single(noStart).Message.GetProperty("error").GetProperty("code").GetString());
        var truncated = await client.StreamRawAsync("/process.Process/StreamInput", ConnectClient.Envelope(Encoding.UTF8.GetBytes("{}"), length: 50));
        Assert.Equal("invalid_argument", Assert.Single(truncated).Message.GetProperty("error").GetProperty("code").GetString());
        var unknown = await client.StreamAsync("/process.Process/StreamInput", """{"start":{"process":{"pid":999999}}}""");
        Assert.Equal("not_found", Assert.Single(unknown).Message.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_unary_call_past_its_Connect_Timeout_Ms_is_deadline_exceeded()
    {
        using var client = new ConnectClient(fixture.BaseUri, "sbx-1");
        // A deep listing of /usr takes the agent far longer than 1 ms (thousands of entries over virtio-console).
        var request = client.Request(HttpMethod.Post, "/filesystem.Filesystem/ListDir",
            new StringContent("""{"path":"/usr","depth":6}""", Encoding.UTF8, "application/json"), timeoutMs: 1);
        using var response = await client.SendAsync(request);
        Assert.Equal(504, (int)response.StatusCode);
        Assert.Equal("deadline_exceeded", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
        // The same call with a generous deadline succeeds, and the agent is still fine after the cancelled one.
        var ok = client.Request(HttpMethod.Post, "/filesystem.Filesystem/ListDir",
            new StringContent("""{"path":"/tmp","depth":1}""", Encoding.UTF8, "application/json"), timeoutMs: 30_000);
        using var okResponse = await client.SendAsync(ok);
        Assert.Equal(200, (int)okResponse.StatusCode);
    }

    private static ByteArrayContent Enveloped(string json)
    {
        var content = new ByteArrayContent(ConnectClient.Envelope(Encoding.UTF8.GetBytes(json)));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/connect+json");
        return content;
    }

    private static async Task<(byte Flags, JsonElement Message)?> ReadFrameAsync(Stream stream)
    {
        var header = new byte[5];
        if (!await FillAsync(stream, header))
        {
            return null;
        }

        var payload = new byte[BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1))];
        Assert.True(await FillAsync(stream, payload), "stream ended inside a frame");
        return (header[0], JsonDocument.Parse(payload).RootElement.Clone());
    }

    private static async Task<bool> FillAsync(Stream stream, byte[] buffer)
    {
        var got = 0;
        while (got < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(got));
            if (n == 0)
            {
                return false;
            }

            got += n;
        }

        return true;
    }

    private static List<(byte Flags, JsonElement Message)> ReadAll(byte[] bytes)
    {
        var frames = new List<(byte, JsonElement)>();
        var offset = 0;
        while (offset + 5 <= bytes.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset + 1));
            frames.Add((bytes[offset], JsonDocument.Parse(bytes.AsMemory(offset + 5, length)).RootElement.Clone()));
            offset += 5 + length;
        }

        return frames;
    }
}
