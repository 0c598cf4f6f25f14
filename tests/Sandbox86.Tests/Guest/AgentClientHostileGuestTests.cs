using Sandbox86.Guest;

namespace Sandbox86.Tests.Guest;

/// <summary>The client against a scripted agent that misbehaves: the guest is not trusted.</summary>
public sealed class AgentClientHostileGuestTests
{
    private static readonly byte[] NoPayload = [];

    [Fact]
    public async Task Hello_request_is_repeated_until_one_of_them_is_answered()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var agent = new ScriptedAgent();
        await using var client = new AgentClient(agent.HostSide, new AgentClientOptions { HelloRetryInterval = TimeSpan.FromMilliseconds(30) });
        var ready = client.WaitReadyAsync(cts.Token);

        var first = await agent.ExpectAsync(AgentMessageType.HelloRequest, cts.Token);
        var second = await agent.ExpectAsync(AgentMessageType.HelloRequest, cts.Token);
        await agent.SendHelloAsync(0); // the agent's own start-up hello is not an answer
        await agent.SendHelloAsync(123456); // nor is an answer to a request we never sent
        await Task.Delay(100);
        Assert.False(ready.IsCompleted);

        // Answering an older request must work too: with a slow guest every answer is "stale".
        await agent.SendHelloAsync(first.Stream);
        var hello = await ready;

        Assert.NotEqual(first.Stream, second.Stream);
        Assert.Equal("fake", hello.AgentVersion);
    }

    [Fact]
    public async Task Corrupt_frames_from_the_guest_are_dropped_and_counted()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var agent = new ScriptedAgent();
        await using var client = new AgentClient(agent.HostSide);
        var ready = client.WaitReadyAsync(cts.Token);
        await agent.HandshakeAsync(cts.Token);
        await ready;

        var ping = client.PingAsync(cts.Token);
        var request = await agent.ExpectAsync(AgentMessageType.Ping, cts.Token);
        var corrupt = new AgentFrame(AgentMessageType.Pong, request.Stream, NoPayload).ToArray();
        corrupt[13] ^= 0x55;
        var huge = new AgentFrame(AgentMessageType.Pong, request.Stream, NoPayload).ToArray();
        huge[10] = 0xFF; // 16 MiB claimed
        await agent.SendRawAsync([.. "\x00\x01junk"u8.ToArray(), .. corrupt, .. huge]);
        await Task.Delay(50);
        Assert.False(ping.IsCompleted);
        await agent.SendAsync(AgentMessageType.Pong, request.Stream, NoPayload);

        await ping;
        Assert.Equal(2, client.FramesDropped);
    }

    [Fact]
    public async Task Output_beyond_the_granted_window_fails_only_that_process()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var agent = new ScriptedAgent();
        await using var client = new AgentClient(agent.HostSide, new AgentClientOptions { OutputWindow = 1000 });
        var ready = client.WaitReadyAsync(cts.Token);
        await agent.HandshakeAsync(cts.Token);
        await ready;

        var start = client.StartAsync(ExecRequest.ForShell("yes"), cts.Token);
        var exec = await agent.ExpectAsync(AgentMessageType.Exec, cts.Token);
        await agent.SendAsync(AgentMessageType.Started, exec.Stream, new TlvWriter().UInt32(AgentTag.Pid, 42).ToArray());
        var process = await start;
        await agent.SendAsync(AgentMessageType.Stdout, exec.Stream, new byte[800]);
        await agent.SendAsync(AgentMessageType.Stdout, exec.Stream, new byte[800]); // nobody granted this

        var error = await Assert.ThrowsAsync<AgentException>(() => process.WaitAsync(cts.Token));
        Assert.Contains("window", error.Message, StringComparison.Ordinal);
        Assert.Equal(42, process.Pid);

        var ping = client.PingAsync(cts.Token);
        var p = await agent.ExpectAsync(AgentMessageType.Ping, cts.Token);
        await agent.SendAsync(AgentMessageType.Pong, p.Stream, NoPayload);
        await ping;
    }

    [Fact]
    public async Task Collected_output_is_capped_even_when_the_guest_ignores_the_cap()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var agent = new ScriptedAgent();
        await using var client = new AgentClient(agent.HostSide);
        var ready = client.WaitReadyAsync(cts.Token);
        await agent.HandshakeAsync(cts.Token);
        await ready;

        var run = client.ExecAsync(new ExecRequest { Shell = "x", OutputCap = 10 }, cts.Token);
        var exec = await agent.ExpectAsync(AgentMessageType.Exec, cts.Token);
        await agent.SendAsync(AgentMessageType.Started, exec.Stream, new TlvWriter().UInt32(AgentTag.Pid, 7).ToArray());
        await agent.SendAsync(AgentMessageType.Stdout, exec.Stream, new byte[100]);
        await agent.SendAsync(AgentMessageType.Exit, exec.Stream, new TlvWriter().UInt32(AgentTag.ExitCode, 0).ToArray());
        var result = await run;

        Assert.Equal(10, result.Stdout.Length);
        Assert.True(result.Truncated);
    }

    [Fact]
    public async Task Malformed_reply_fails_the_call_not_the_client()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var agent = new ScriptedAgent();
        await using var client = new AgentClient(agent.HostSide);
        var ready = client.WaitReadyAsync(cts.Token);
        await agent.HandshakeAsync(cts.Token);
        await ready;

        var run = client.ExecAsync(ExecRequest.ForShell("x"), cts.Token);
        var exec = await agent.ExpectAsync(AgentMessageType.Exec, cts.Token);
        await agent.SendAsync(AgentMessageType.Exit, exec.Stream, new byte[] { (byte)AgentTag.ExitCode, 0xFF, 0xFF, 0, 0, 1 });

        var error = await Assert.ThrowsAsync<AgentException>(() => run);
        Assert.Contains("malformed", error.Message, StringComparison.Ordinal);

        var stat = client.StatAsync("/x", cts.Token);
        var s = await agent.ExpectAsync(AgentMessageType.Stat, cts.Token);
        await agent.SendAsync(AgentMessageType.StatResult, s.Stream, new TlvWriter().UInt32(AgentTag.Mode, 0x41ED).UInt64(AgentTag.Size, 4096).ToArray());
        Assert.True((await stat).IsDirectory);
    }

    [Fact]
    public async Task Agent_restart_fails_operations_in_flight()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using var agent = new ScriptedAgent();
        await using var client = new AgentClient(agent.HostSide);
        var ready = client.WaitReadyAsync(cts.Token);
        await agent.HandshakeAsync(cts.Token);
        await ready;

        var stat = client.StatAsync("/x", cts.Token);
        await agent.ExpectAsync(AgentMessageType.Stat, cts.Token);
        await agent.SendHelloAsync(0);

        var error = await Assert.ThrowsAsync<AgentException>(() => stat);
        Assert.Contains("restarted", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task End_of_stream_fails_everything_promptly()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var agent = new ScriptedAgent();
        await using var client = new AgentClient(agent.HostSide);
        var ready = client.WaitReadyAsync(cts.Token);
        await agent.HandshakeAsync(cts.Token);
        await ready;
        var run = client.ExecAsync(ExecRequest.ForShell("sleep 100"), cts.Token);
        await agent.ExpectAsync(AgentMessageType.Exec, cts.Token);

        await agent.DisposeAsync();

        await Assert.ThrowsAsync<AgentException>(() => run).WaitAsync(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<AgentException>(() => client.StatAsync("/", cts.Token)).WaitAsync(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Handshake_fails_promptly_when_the_transport_is_dead()
    {
        var agent = new ScriptedAgent();
        await agent.DisposeAsync();
        await using var client = new AgentClient(agent.HostSide);

        await Assert.ThrowsAsync<AgentException>(() => client.WaitReadyAsync()).WaitAsync(TimeSpan.FromSeconds(1));
    }
}
