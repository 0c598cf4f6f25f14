using System.Text;
using System.Text.Json;

namespace Sandbox86.ServerTests.Envd;

/// <summary>Connect-JSON over a real Kestrel and a real VM: framing edge cases, lookups and auth, process and file calls.</summary>
public sealed class ConnectFramingTests(EnvdFixture fixture) : IClassFixture<EnvdFixture>
{
    private const string Run = """{"process":{"cmd":"/bin/sh","args":["-c","echo hi; echo oops >&2; echo $SANDBOX_BASE $MINE; pwd; exit 3"],"envs":{"MINE":"given"}},"stdin":false}""";

    [Fact]
    public async Task Unknown_paused_and_unauthenticated_sandboxes_get_404_409_401()
    {
        using var unknown = new ConnectClient(fixture.BaseUri, "nope");
        Assert.Equal(404, (await unknown.UnaryAsync("/process.Process/List", "{}")).Status);
        using var paused = new ConnectClient(fixture.BaseUri, "sbx-paused");
        Assert.Equal(409, (await paused.UnaryAsync("/process.Process/List", "{}")).Status);
        using var wrong = new ConnectClient(fixture.BaseUri, "sbx-secure", "wrong");
        var (status, body) = await wrong.UnaryAsync("/process.Process/List", "{}");
        Assert.Equal(401, status);
        Assert.Equal("unauthenticated", body.GetProperty("code").GetString());
        using var right = new ConnectClient(fixture.BaseUri, "sbx-secure", "secret-token");
        Assert.Equal(200, (await right.UnaryAsync("/process.Process/List", "{}")).Status);
    }

    [Fact]
    public async Task Malformed_and_oversized_envelopes_end_the_stream_with_a_connect_error()
    {
        using var client = new ConnectClient(fixture.BaseUri, "sbx-1");
        var shortFrame = await client.StreamRawAsync("/process.Process/Start", [0, 0, 0]);
        AssertEndError(shortFrame, "invalid_argument");
        var lying = await client.StreamRawAsync("/process.Process/Start", ConnectClient.Envelope(Encoding.UTF8.GetBytes("{}"), length: 100));
        AssertEndError(lying, "invalid_argument");
        var huge = await client.StreamRawAsync("/process.Process/Start", ConnectClient.Envelope(Encoding.UTF8.GetBytes("{}"), length: 64 * 1024 * 1024));
        AssertEndError(huge, "resource_exhausted");
        var badJson = await client.StreamAsync("/process.Process/Start", "{not json");
        AssertEndError(badJson, "invalid_argument");
        var (status, body) = await client.UnaryAsync("/process.Process/SendSignal", """{"process":{"pid":999999},"signal":"SIGNAL_SIGKILL"}""");
        Assert.Equal(404, status);
        Assert.Equal("not_found", body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Start_streams_start_stdout_stderr_and_end_with_the_exit_code_and_merged_env()
    {
        using var client = new ConnectClient(fixture.BaseUri, "sbx-1");
        var frames = await client.StreamAsync("/process.Process/Start", Run);
        Assert.True(frames[0].Message.GetProperty("event").GetProperty("start").GetProperty("pid").GetUInt32() > 0);
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        JsonElement end = default;
        foreach (var (flags, message) in frames[..^1])
        {
            Assert.Equal(0, flags);
            var e = message.GetProperty("event");
            if (e.TryGetProperty("data", out var data))
            {
                if (data.TryGetProperty("stdout", out var o))
                {
                    stdout.Append(Encoding.UTF8.GetString(o.GetBytesFromBase64()));
                }

                if (data.TryGetProperty("stderr", out var er))
                {
                    stderr.Append(Encoding.UTF8.GetString(er.GetBytesFromBase64()));
                }
            }

            if (e.TryGetProperty("end", out var en))
            {
                end = en;
            }
        }

        Assert.Equal(2, frames[^1].Flags);
        Assert.Equal("{}", frames[^1].Message.GetRawText());
        Assert.Equal(3, end.GetProperty("exitCode").GetInt32());
        Assert.Equal("exit status 3", end.GetProperty("status").GetString());
        // The image has no 'user' account today, so the default falls back to root and /root.
        var home = stdout.ToString().Contains("/home/user", StringComparison.Ordinal) ? "/home/user" : "/root";
        Assert.Equal($"hi\nfrom-create given\n{home}\n", stdout.ToString());
        Assert.Equal("oops\n", stderr.ToString());
    }

    [Fact]
    public async Task Connect_timeout_kills_the_command_at_the_deadline()
    {
        using var client = new ConnectClient(fixture.BaseUri, "sbx-1");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var frames = await client.StreamAsync("/process.Process/Start", """{"process":{"cmd":"/bin/sh","args":["-c","sleep 30"]}}""", timeoutMs: 1500);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        var end = frames.Select(f => f.Message).First(m => m.TryGetProperty("event", out var e) && e.TryGetProperty("end", out _));
        Assert.NotEqual(0, end.GetProperty("event").GetProperty("end").TryGetProperty("exitCode", out var code) ? code.GetInt32() : 0);
    }

    [Fact]
    public async Task Files_round_trip_through_rest_and_filesystem_rpcs()
    {
        using var client = new ConnectClient(fixture.BaseUri, "sbx-1");
        var payload = new byte[300_000];
        new Random(5).NextBytes(payload);
        var upload = client.Request(HttpMethod.Post, "/files?path=/tmp/envd-test/a/blob.bin", new ByteArrayContent(payload));
        upload.Content!.Headers.ContentType = new("application/octet-stream");
        using (var response = await client.SendAsync(upload))
        {
            Assert.Equal(200, (int)response.StatusCode);
            var written = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("/tmp/envd-test/a/blob.bin", written[0].GetProperty("path").GetString());
        }

        using (var download = await client.SendAsync(client.Request(HttpMethod.Get, "/files?path=/tmp/envd-test/a/blob.bin")))
        {
            Assert.Equal(payload, await download.Content.ReadAsByteArrayAsync());
        }

        using (var missing = await client.SendAsync(client.Request(HttpMethod.Get, "/files?path=/tmp/envd-test/none")))
        {
            Assert.Equal(404, (int)missing.StatusCode);
        }

        var (status, stat) = await client.UnaryAsync("/filesystem.Filesystem/Stat", """{"path":"/tmp/envd-test/a/blob.bin"}""");
        Assert.Equal(200, status);
        Assert.Equal("300000", stat.GetProperty("entry").GetProperty("size").GetString());
        Assert.Equal("FILE_TYPE_FILE", stat.GetProperty("entry").GetProperty("type").GetString());
        var (_, list) = await client.UnaryAsync("/filesystem.Filesystem/ListDir", """{"path":"/tmp/envd-test","depth":2}""");
        var paths = list.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("path").GetString()).ToList();
        Assert.Equal(["/tmp/envd-test/a", "/tmp/envd-test/a/blob.bin"], paths);
        Assert.Equal(200, (await client.UnaryAsync("/filesystem.Filesystem/Move", """{"source":"/tmp/envd-test/a/blob.bin","destination":"/tmp/envd-test/b.bin"}""")).Status);
        Assert.Equal(409, (await client.UnaryAsync("/filesystem.Filesystem/MakeDir", """{"path":"/tmp/envd-test/a"}""")).Status);
        Assert.Equal(200, (await client.UnaryAsync("/filesystem.Filesystem/Remove", """{"path":"/tmp/envd-test"}""")).Status);
        Assert.Equal(404, (await client.UnaryAsync("/filesystem.Filesystem/Stat", """{"path":"/tmp/envd-test"}""")).Status);
    }

    private static void AssertEndError(List<(byte Flags, JsonElement Message)> frames, string code)
    {
        var (flags, message) = Assert.Single(frames);
        Assert.Equal(2, flags);
        Assert.Equal(code, message.GetProperty("error").GetProperty("code").GetString());
    }
}
