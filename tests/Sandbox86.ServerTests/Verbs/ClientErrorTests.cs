using System.Buffers.Binary;
using System.Text;
using Sandbox86.Client;

namespace Sandbox86.ServerTests.Verbs;

/// <summary>How <see cref="SandboxClient"/> maps what a server answers into results and errors (scripted server, real socket).</summary>
public sealed class ClientErrorTests : IAsyncLifetime, IDisposable
{
    private readonly ScriptedHttpServer _server = new();
    private SandboxClient _client = null!;

    public Task InitializeAsync()
    {
        _client = new SandboxClient(new SandboxClientOptions { BaseUrl = _server.Url, ApiKey = "e2b_abc", RequestTimeout = TimeSpan.FromSeconds(20) });
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_control_plane_error_carries_the_status_and_the_servers_code_and_message()
    {
        _server.Answer(404, """{"code":404,"message":"sandbox \"x\" doesn't exist"}""");
        var e = await Assert.ThrowsAsync<SandboxApiException>(() => _client.GetAsync("x"));
        Assert.Equal(404, e.StatusCode);
        Assert.Equal("404", e.ErrorCode);
        Assert.Equal("sandbox \"x\" doesn't exist", e.Message);
        Assert.True(e.IsNotFound);
        Assert.IsAssignableFrom<Sandbox86Exception>(e);
        Assert.Contains("X-API-Key: e2b_abc", _server.Requests[0], StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_body_that_is_not_json_becomes_a_message_with_the_status()
    {
        _server.Answer(502, "text/html", Encoding.UTF8.GetBytes("<html>bad gateway</html>"));
        var e = await Assert.ThrowsAsync<SandboxApiException>(() => _client.GetAsync("x"));
        Assert.Equal(502, e.StatusCode);
        Assert.Null(e.ErrorCode);
        Assert.Contains("HTTP 502", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_409_on_pause_keeps_its_status()
    {
        _server.Answer(409, """{"code":409,"message":"sandbox is already paused"}""");
        var e = await Assert.ThrowsAsync<SandboxApiException>(() => _client.PauseAsync("x"));
        Assert.Equal((409, "sandbox is already paused"), (e.StatusCode, e.Message));
    }

    [Fact]
    public async Task A_sandbox_answer_is_read_with_its_metadata_and_name()
    {
        _server.Answer(200, """{"templateID":"base","sandboxID":"abc","clientID":"c","state":"paused","memoryMB":256,"startedAt":"2026-01-01T00:00:00Z","endAt":"2026-01-01T01:00:00Z","metadata":{"sandbox86.name":"n1","k":"v"},"envdVersion":"0.5.7","envdAccessToken":null}""");
        var s = await _client.GetAsync("abc");
        Assert.Equal(("abc", "base", "paused", 256, "n1"), (s.SandboxId, s.TemplateId, s.State, s.MemoryMb, s.Name));
        Assert.Equal("v", s.Metadata["k"]);
    }

    [Fact]
    public async Task An_unknown_name_or_id_is_a_404()
    {
        _server.Answer(200, "[]");
        _server.Answer(404, """{"code":404,"message":"nope"}""");
        var e = await Assert.ThrowsAsync<SandboxApiException>(() => _client.FindAsync("ghost"));
        Assert.Equal(404, e.StatusCode);
        Assert.Contains("ghost", e.Message, StringComparison.Ordinal);
        Assert.Contains("metadata=sandbox86.name%3Dghost", _server.Requests[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_that_cannot_be_found_is_a_start_exception_with_127()
    {
        ScriptSandbox();
        _server.Answer(200, "application/connect+json", Frame(0x02, """{"error":{"code":"invalid_argument","message":"could not execute 'nope' (exit 127)"}}"""));
        var e = await Assert.ThrowsAsync<SandboxProcessStartException>(() => _client.StartProcessAsync("abc", new SandboxProcessOptions { Command = ["nope"] }));
        Assert.Equal((127, "nope"), (e.ExitCode, e.Command));
    }

    [Fact]
    public async Task A_stream_error_after_start_carries_the_connect_code()
    {
        ScriptSandbox();
        _server.Answer(200, "application/connect+json", [
            .. Frame(0, """{"event":{"start":{"pid":7}}}"""),
            .. Frame(0, """{"event":{"data":{"stdout":"aGk="}}}"""),
            .. Frame(0x02, """{"error":{"code":"unavailable","message":"guest agent: gone"}}"""),
        ]);
        await using var process = await _client.StartProcessAsync("abc", new SandboxProcessOptions { Command = ["sh"] });
        Assert.Equal(7u, process.Pid);
        var seen = new List<string>();
        var e = await Assert.ThrowsAsync<SandboxApiException>(async () =>
        {
            await foreach (var o in process.ReadOutputAsync())
            {
                seen.Add(Encoding.UTF8.GetString(o.Data.Span));
            }
        });
        Assert.Equal(["hi"], seen);
        Assert.Equal((503, "unavailable", "guest agent: gone"), (e.StatusCode, e.ErrorCode, e.Message));
    }

    [Fact]
    public async Task Output_and_the_exit_of_a_command_are_read_and_signals_map_to_128_plus_n()
    {
        ScriptSandbox();
        _server.Answer(200, "application/connect+json", [
            .. Frame(0, """{"event":{"start":{"pid":9}}}"""),
            .. Frame(0, """{"event":{"keepalive":{}}}"""),
            .. Frame(0, """{"event":{"data":{"stderr":"ZXJy"}}}"""),
            .. Frame(0, """{"event":{"end":{"exited":false,"status":"signal: killed"}}}"""),
            .. Frame(0x02, "{}"),
        ]);
        await using var process = await _client.StartProcessAsync("abc", new SandboxProcessOptions { Command = ["sleep", "9"], User = "root" });
        var outputs = new List<SandboxOutput>();
        await foreach (var o in process.ReadOutputAsync())
        {
            outputs.Add(o);
        }

        Assert.Equal(SandboxOutputKind.Stderr, Assert.Single(outputs).Kind);
        Assert.Equal(137, process.Result!.ExitCode);
        var start = _server.Requests[1];
        Assert.Contains("E2b-Sandbox-Id: abc", start, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Authorization: Basic cm9vdDo=", start, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\"cmd\":\"sleep\",\"args\":[\"9\"]", start, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_oversized_frame_is_refused_before_it_is_buffered()
    {
        ScriptSandbox();
        var header = new byte[5];
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), uint.MaxValue);
        _server.Answer(200, "application/connect+json", header);
        var e = await Assert.ThrowsAsync<SandboxApiException>(() => _client.StartProcessAsync("abc", new SandboxProcessOptions { Command = ["x"] }));
        Assert.Contains("frame of", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_is_not_there_is_a_clear_error()
    {
        var port = _server.Url.Port;
        await _server.DisposeAsync();
        using var client = new SandboxClient(new SandboxClientOptions { BaseUrl = new Uri($"http://127.0.0.1:{port}/") });
        var e = await Assert.ThrowsAsync<SandboxApiException>(() => client.ListAsync());
        Assert.Contains("cannot reach the server", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fork_reply_in_e2bs_shape_gives_each_fork_its_sandbox_or_error()
    {
        _server.Answer(201, """[{"sandbox":{"templateID":"base","sandboxID":"f1","clientID":"c","envdVersion":"0.5.7"}},{"error":{"code":429,"message":"over the memory budget"}}]""");
        var results = await _client.ForkAsync("abc", 2, TimeSpan.FromSeconds(60));
        Assert.Equal("f1", results[0].Sandbox!.SandboxId);
        Assert.Equal((null, "over the memory budget"), (results[1].Sandbox, results[1].Error));
        Assert.Contains("POST /sandboxes/abc/fork", _server.Requests[0], StringComparison.Ordinal);
        Assert.Contains("{\"count\":2,\"timeout\":60}", _server.Requests[0], StringComparison.Ordinal);
    }

    /// <summary>The GET the client makes once per sandbox to learn its envd access token.</summary>
    private void ScriptSandbox() =>
        _server.Answer(200, """{"templateID":"base","sandboxID":"abc","clientID":"c","state":"running","metadata":{},"envdVersion":"0.5.7"}""");

    private static byte[] Frame(byte flags, string json)
    {
        var payload = Encoding.UTF8.GetBytes(json);
        var frame = new byte[5 + payload.Length];
        frame[0] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
    }
}
