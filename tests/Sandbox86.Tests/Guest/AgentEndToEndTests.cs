using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Sandbox86.Guest;
using Xunit.Abstractions;

namespace Sandbox86.Tests.Guest;

/// <summary>The real agent binary on this host, over pipes, driven by AgentClient.</summary>
public sealed class AgentEndToEndTests(AgentBuildFixture build) : IClassFixture<AgentBuildFixture>
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(15);

    [SkippableFact]
    public async Task Shell_command_reports_stdout_stderr_and_exit_code()
    {
        await using var h = await StartAsync();
        var r = await h.Client.ExecAsync(ExecRequest.ForShell("echo out; echo err >&2; exit 7"), Timeout());

        Assert.Equal("out\n", r.StdoutText);
        Assert.Equal("err\n", r.StderrText);
        Assert.Equal(7, r.ExitCode);
        Assert.False(r.TimedOut);
        Assert.False(r.Truncated);
    }

    [SkippableFact]
    public async Task Hello_and_ping_describe_a_live_agent()
    {
        await using var h = await StartAsync();
        var hello = await h.Client.WaitReadyAsync(Timeout());
        var rtt = await h.Client.PingAsync(Timeout());

        Assert.Equal(1, hello.ProtocolVersion);
        Assert.Equal(h.Process.Id, hello.Pid);
        Assert.Contains("Linux", hello.Uname, StringComparison.Ordinal);
        Assert.True(hello.Window > 0);
        Assert.True(rtt > TimeSpan.Zero);
    }

    [SkippableFact]
    public async Task Argv_with_environment_and_working_directory()
    {
        await using var h = await StartAsync();
        var r = await h.Client.ExecAsync(
            new ExecRequest
            {
                Argv = ["sh", "-c", "printf '%s|%s|%s' \"$FOO\" \"$(pwd)\" \"$1\"", "x", "arg with space"],
                Env = new Dictionary<string, string> { ["FOO"] = "bar baz" },
                WorkingDirectory = "/tmp",
            },
            Timeout());

        Assert.Equal("bar baz|/tmp|arg with space", r.StdoutText);
        Assert.Equal(0, r.ExitCode);
    }

    [SkippableFact]
    public async Task Missing_program_exits_127_like_a_shell()
    {
        await using var h = await StartAsync();
        var r = await h.Client.ExecAsync(ExecRequest.ForArgv("/nonexistent/program"), Timeout());

        Assert.Equal(127, r.ExitCode);
        Assert.Contains("No such file", r.StderrText, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Stdin_is_piped_to_the_process()
    {
        await using var h = await StartAsync();
        var input = RandomNumberGenerator.GetBytes(300_000);
        var p = await h.Client.StartAsync(new ExecRequest { Argv = ["sha256sum"], Stdin = true }, Timeout());
        var collected = CollectAsync(p);
        await p.WriteStdinAsync(input, Timeout());
        await p.CloseStdinAsync(Timeout());
        var (stdout, _) = await collected;
        var r = await p.WaitAsync(Timeout());

        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith(Convert.ToHexStringLower(SHA256.HashData(input)), Encoding.UTF8.GetString(stdout), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Two_megabyte_binary_file_round_trips()
    {
        await using var h = await StartAsync();
        var dir = Path.Combine(Path.GetTempPath(), "sbx86-agent-" + Guid.NewGuid().ToString("N"));
        try
        {
            var data = RandomNumberGenerator.GetBytes(2 * 1024 * 1024);
            var path = Path.Combine(dir, "sub", "blob.bin");
            await h.Client.WriteFileAsync(path, new MemoryStream(data), mode: 0x1ED /* 0755 */, cancellationToken: Timeout());

            var info = await h.Client.StatAsync(path, Timeout());
            var back = new MemoryStream();
            var n = await h.Client.ReadFileAsync(path, back, Timeout());

            Assert.Equal(data.Length, info.Size);
            Assert.True(info.IsRegularFile);
            Assert.Equal(0x1ED, info.Permissions);
            Assert.Equal(data.Length, n);
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(back.ToArray()));
            Assert.Single(Directory.GetFiles(Path.Combine(dir, "sub"))); // no temp file left behind
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [SkippableFact]
    public async Task File_reads_of_window_aligned_sizes_never_stall()
    {
        await using var h = await StartAsync();
        // Sizes at the agent's chunk (32 KiB) and window (256 KiB) boundaries once left the last
        // chunk unflushed while the agent slept in poll().
        var path = Path.Combine(Path.GetTempPath(), "sbx86-agent-" + Guid.NewGuid().ToString("N"));
        try
        {
            foreach (var size in new[] { 0, 1, 32 * 1024, 256 * 1024, 256 * 1024 + 1, 512 * 1024, 1024 * 1024 })
            {
                var data = RandomNumberGenerator.GetBytes(size);
                await File.WriteAllBytesAsync(path, data);
                for (var i = 0; i < 5; i++)
                {
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    var back = new MemoryStream();
                    await h.Client.ReadFileAsync(path, back, cts.Token);
                    Assert.Equal(data, back.ToArray());
                }
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [SkippableFact]
    public async Task File_operations_report_guest_errors_clearly()
    {
        await using var h = await StartAsync();
        var dir = Path.Combine(Path.GetTempPath(), "sbx86-agent-" + Guid.NewGuid().ToString("N"));
        try
        {
            var missing = await Assert.ThrowsAsync<AgentException>(() => h.Client.ReadFileAsync(dir + "/nope", new MemoryStream(), Timeout()));
            Assert.True(missing.IsNotFound);
            var stat = await Assert.ThrowsAsync<AgentException>(() => h.Client.StatAsync(dir + "/nope", Timeout()));
            Assert.True(stat.IsNotFound);
            Assert.Contains("nope", stat.Message, StringComparison.Ordinal);

            await h.Client.MkdirAsync(dir + "/a/b/c", cancellationToken: Timeout());
            await h.Client.WriteFileAsync(dir + "/a/one.txt", new MemoryStream("1"u8.ToArray()), cancellationToken: Timeout());
            var list = await h.Client.ListAsync(dir + "/a", Timeout());
            Assert.Equal(["b", "one.txt"], list.Select(e => e.Name).Order(StringComparer.Ordinal));
            Assert.True(list.Single(e => e.Name == "b").IsDirectory);
            Assert.Equal(1, list.Single(e => e.Name == "one.txt").Size);

            var notEmpty = await Assert.ThrowsAsync<AgentException>(() => h.Client.RemoveAsync(dir + "/a", cancellationToken: Timeout()));
            Assert.Equal(39, notEmpty.Errno); // ENOTEMPTY
            var isDir = await Assert.ThrowsAsync<AgentException>(() => h.Client.WriteFileAsync(dir + "/a/b", new MemoryStream([1]), cancellationToken: Timeout()));
            Assert.Equal(21, isDir.Errno); // EISDIR from rename onto a directory
            var noParent = await Assert.ThrowsAsync<AgentException>(() => h.Client.WriteFileAsync(dir + "/x/y", new MemoryStream([1]), 420, createParents: false, Timeout()));
            Assert.True(noParent.IsNotFound);
            await h.Client.RemoveAsync(dir + "/a", recursive: true, Timeout());
            Assert.False(Directory.Exists(dir + "/a"));
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [SkippableFact]
    public async Task Output_is_streamed_before_the_process_exits()
    {
        await using var h = await StartAsync();
        // The command outlives the test's timeout, so the first chunk can only arrive by streaming.
        var p = await h.Client.StartAsync(ExecRequest.ForShell("echo first; sleep 60; echo second"), Timeout());
        await using var e = p.ReadOutputAsync(Timeout()).GetAsyncEnumerator();
        Assert.True(await e.MoveNextAsync());

        Assert.Equal("first\n", Encoding.UTF8.GetString(e.Current.Data.Span));
        Assert.False(p.Completion.IsCompleted);
        await p.KillAsync(cancellationToken: Timeout());
        Assert.Equal(9, (await p.WaitAsync(Timeout())).Signal);
    }

    [SkippableFact]
    public async Task Timeout_kills_the_whole_group_and_reports_124()
    {
        await using var h = await StartAsync();
        var p = await h.Client.StartAsync(
            new ExecRequest { Shell = "sleep 30 & echo $!; sleep 30", Timeout = TimeSpan.FromMilliseconds(300) },
            Timeout());
        var (stdout, _) = await CollectAsync(p);
        var r = await p.WaitAsync(Timeout());
        var grandchild = int.Parse(Encoding.UTF8.GetString(stdout).Trim(), System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(124, r.ExitCode);
        Assert.True(r.TimedOut);
        Assert.True(await GoneAsync(grandchild), $"grandchild {grandchild} still exists");
        Assert.True(await GoneAsync(p.Pid), $"process {p.Pid} still exists");
    }

    [SkippableFact]
    public async Task Kill_sends_the_signal_to_the_process_group()
    {
        await using var h = await StartAsync();
        var p = await h.Client.StartAsync(ExecRequest.ForShell("sleep 30 & echo $!; wait"), Timeout());
        var first = await FirstLineAsync(p);
        await p.KillAsync(15, Timeout());
        var r = await p.WaitAsync(Timeout());

        Assert.Equal(15, r.Signal);
        Assert.Equal(143, r.ExitCode);
        Assert.True(await GoneAsync(int.Parse(first, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [SkippableFact]
    public async Task Concurrent_execs_do_not_mix_their_streams()
    {
        await using var h = await StartAsync();
        var tasks = Enumerable.Range(0, 24).Select(i => h.Client.ExecAsync(
            ExecRequest.ForShell($"i={i}; n=0; while [ $n -lt 200 ]; do echo $i-$n; n=$((n+1)); done; echo e$i >&2; exit $((i % 5))"),
            Timeout())).ToArray();
        var results = await Task.WhenAll(tasks);

        for (var i = 0; i < results.Length; i++)
        {
            var expected = string.Concat(Enumerable.Range(0, 200).Select(n => $"{i}-{n}\n"));
            Assert.Equal(expected, results[i].StdoutText);
            Assert.Equal($"e{i}\n", results[i].StderrText);
            Assert.Equal(i % 5, results[i].ExitCode);
        }
    }

    [SkippableFact]
    public async Task Output_beyond_the_cap_is_truncated_with_a_marker()
    {
        await using var h = await StartAsync();
        var r = await h.Client.ExecAsync(new ExecRequest { Shell = "head -c 3000000 /dev/zero; echo done >&2", OutputCap = 1000 }, Timeout());
        Assert.Equal(1000, r.Stdout.Length + r.Stderr.Length);
        Assert.True(r.Truncated);
        Assert.Equal(0, r.ExitCode);

        var p = await h.Client.StartAsync(new ExecRequest { Shell = "head -c 100000 /dev/zero", OutputCap = 5000 }, Timeout());
        var chunks = new List<ExecOutput>();
        await foreach (var c in p.ReadOutputAsync(Timeout()))
        {
            chunks.Add(c);
        }

        Assert.Equal(5000, chunks.Sum(c => c.Data.Length));
        Assert.Equal(ExecOutputKind.Truncated, chunks[^1].Kind);
    }

    [SkippableFact]
    public async Task Pty_gives_the_process_a_terminal()
    {
        await using var h = await StartAsync();
        var r = await h.Client.ExecAsync(new ExecRequest { Shell = "tty; stty size", Pty = new PtySize(33, 101) }, Timeout());

        Assert.Contains("/dev/pts/", r.StdoutText, StringComparison.Ordinal);
        Assert.Contains("33 101", r.StdoutText, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Malformed_frames_get_an_error_reply_and_the_agent_keeps_working()
    {
        await using var h = await StartAsync();
        var good = new AgentFrame(AgentMessageType.Ping, 999, new byte[] { 1, 2, 3 }).ToArray();
        var badCrc = (byte[])good.Clone();
        badCrc[^1] ^= 0xFF;
        var oversize = (byte[])good.Clone();
        oversize[11] = 0x7F;
        h.Client.SendRaw([.. "garbage\xA5"u8.ToArray(), .. badCrc, .. oversize, 0xA5, 0x86]);
        var malformedExec = new AgentFrame(AgentMessageType.Exec, 12345, new byte[] { (byte)AgentTag.Argv, 0xFF, 0xFF, 0xFF, 0x7F }).ToArray();
        h.Client.SendRaw(malformedExec);

        var r = await h.Client.ExecAsync(ExecRequest.ForShell("echo still alive"), Timeout());
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (h.Client.AgentProtocolErrors == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal("still alive\n", r.StdoutText);
        Assert.True(h.Client.AgentProtocolErrors > 0);
        Assert.Contains("bad frame", h.Client.LastAgentError, StringComparison.Ordinal);
        Assert.True(h.Process.HasExited is false);
    }

    [SkippableFact]
    public async Task Slow_reader_pauses_the_child_instead_of_buffering()
    {
        var options = new AgentClientOptions { OutputWindow = 64 * 1024 };
        await using var h = await StartAsync(options);
        const int total = 8 * 1024 * 1024;
        var p = await h.Client.StartAsync(ExecRequest.ForShell($"head -c {total} /dev/zero"), Timeout());
        await Task.Delay(500);

        // Without credit the agent stops reading the pipe, so the child cannot finish.
        Assert.False(p.Completion.IsCompleted);
        long received = 0;
        await foreach (var c in p.ReadOutputAsync(Timeout()))
        {
            received += c.Data.Length;
        }

        Assert.Equal(total, received);
        Assert.Equal(0, (await p.WaitAsync(Timeout())).ExitCode);
    }

    [SkippableFact]
    public async Task Random_frames_and_noise_never_kill_the_agent()
    {
        await using var h = await StartAsync();
        // Only message types that cannot touch the host's files or start programs.
        AgentMessageType[] types =
        [
            AgentMessageType.Ping, AgentMessageType.Credit, AgentMessageType.Stdin, AgentMessageType.StdinEof,
            AgentMessageType.Kill, AgentMessageType.Resize, AgentMessageType.Stat, AgentMessageType.List,
            AgentMessageType.FileWriteData, AgentMessageType.FileWriteEnd, AgentMessageType.Abort,
            AgentMessageType.SetClock, AgentMessageType.Reseed, AgentMessageType.NetConfig, (AgentMessageType)0x7E,
        ];
        var rng = new Random(5);
        for (var i = 0; i < 300; i++)
        {
            var payload = new byte[rng.Next(0, 200)];
            rng.NextBytes(payload);
            var bytes = new AgentFrame(types[rng.Next(types.Length)], (uint)rng.Next(1000, 2000), payload).ToArray();
            if (rng.Next(4) == 0)
            {
                bytes[rng.Next(bytes.Length)] ^= (byte)rng.Next(1, 256);
            }

            h.Client.SendRaw(bytes);
            if (rng.Next(10) == 0)
            {
                var noise = new byte[rng.Next(1, 100)];
                rng.NextBytes(noise);
                h.Client.SendRaw(noise);
            }
        }

        // A corrupted length can make the agent wait for a frame that never completes; bytes sent after
        // it finish that "frame" and the next real one is found again.
        h.Client.SendRaw(new byte[AgentFrame.HeaderLength + AgentFrame.MaxPayload]);
        var r = await h.Client.ExecAsync(ExecRequest.ForShell("echo survived"), Timeout());

        Assert.Equal("survived\n", r.StdoutText);
        Assert.False(h.Process.HasExited);
    }

    [SkippableFact]
    public async Task Transport_death_fails_pending_calls_with_an_agent_error()
    {
        await using var h = await StartAsync();
        var sleeper = await h.Client.StartAsync(ExecRequest.ForArgv("sleep", "30"), Timeout());
        var pending = sleeper.WaitAsync(Timeout());
        var reading = h.Client.ReadFileAsync("/dev/zero", Stream.Null, Timeout());
        await Task.Delay(100);
        h.Process.Kill();

        // A call that waited for its own timeout would end in OperationCanceledException instead.
        await Assert.ThrowsAsync<AgentException>(() => pending);
        await Assert.ThrowsAsync<AgentException>(() => reading);
        await Assert.ThrowsAsync<AgentException>(() => h.Client.PingAsync(Timeout()));
        Assert.True(await GoneAsync(sleeper.Pid), "a command outlived its agent");
    }

    [SkippableFact]
    public async Task Client_never_sends_beyond_the_granted_credit()
    {
        // A small window and chunk make the client wait for credit hundreds of times.
        var options = new AgentClientOptions { MaxWindow = 3000, MaxChunkSize = 1000, MaxWritesInFlight = 4 };
        await using var h = await StartAsync(options, shim: true, shimWindow: 3000);
        var data = RandomNumberGenerator.GetBytes(400_000);
        var writes = Task.WhenAll(
            h.Client.WriteFileAsync("/dev/null", new MemoryStream(data), cancellationToken: Timeout()),
            h.Client.ExecAsync(new ExecRequest { Shell = "wc -c" }, Timeout()));
        var p = await h.Client.StartAsync(new ExecRequest { Argv = ["wc", "-c"], Stdin = true }, Timeout());
        var collected = CollectAsync(p);
        await p.WriteStdinAsync(data, Timeout());
        await p.CloseStdinAsync(Timeout());
        var (stdout, _) = await collected;
        await writes;

        Assert.Equal("400000", Encoding.UTF8.GetString(stdout).Trim());
        Assert.Equal(0, h.Shim!.Violations);
        Assert.True(h.Shim.MaxWrite <= 1000, $"write of {h.Shim.MaxWrite} bytes");
        Assert.True(h.Shim.MaxInFlight <= 3000);
        Assert.True(h.Shim.MeteredBytes > 800_000);
    }

    [SkippableFact]
    public async Task Default_options_respect_credit_during_a_bulk_upload()
    {
        await using var h = await StartAsync(shim: true);
        var data = RandomNumberGenerator.GetBytes(1024 * 1024);
        var path = Path.Combine(Path.GetTempPath(), "sbx86-agent-" + Guid.NewGuid().ToString("N"));
        try
        {
            await h.Client.WriteFileAsync(path, new MemoryStream(data), cancellationToken: Timeout());
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(await File.ReadAllBytesAsync(path)));
            Assert.Equal(0, h.Shim!.Violations);
            Assert.True(h.Shim.MaxWrite <= 4096);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [SkippableFact]
    public async Task System_operations_reach_the_agent()
    {
        await using var h = await StartAsync();
        // The host agent runs with --no-system, so these must come back as EPERM, not change the host.
        var clock = await Assert.ThrowsAsync<AgentException>(() => h.Client.SetClockAsync(DateTimeOffset.UtcNow, Timeout()));
        var seed = await Assert.ThrowsAsync<AgentException>(() => h.Client.ReseedEntropyAsync(new byte[64], Timeout()));
        var net = await Assert.ThrowsAsync<AgentException>(() => h.Client.ConfigureNetworkAsync(
            new NetworkConfig { Address = System.Net.IPAddress.Parse("10.0.2.15"), Gateway = System.Net.IPAddress.Parse("10.0.2.2") },
            Timeout()));

        Assert.Equal(1, clock.Errno);
        Assert.Equal(1, seed.Errno);
        Assert.Equal(1, net.Errno);
    }

    [SkippableFact]
    public async Task Replaced_environment_applies_to_the_child()
    {
        await using var h = await StartAsync();
        var env = await h.Client.ExecAsync(
            new ExecRequest { Argv = ["/usr/bin/env"], Env = new Dictionary<string, string> { ["ONLY"] = "1" }, ReplaceEnv = true },
            Timeout());
        Assert.Equal(["ONLY=1", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], env.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }

    [SkippableFact]
    public async Task User_applies_to_the_child()
    {
        Skip.If(Environment.UserName != "root", "switching users needs root; the tests are not running as root");
        await using var h = await StartAsync();
        var numeric = await h.Client.ExecAsync(new ExecRequest { Shell = "echo $(id -u):$(id -g)", User = "4321:1234" }, Timeout());
        var named = await h.Client.ExecAsync(new ExecRequest { Shell = "id -u", User = "root" }, Timeout());
        Assert.Equal("4321:1234\n", numeric.StdoutText);
        Assert.Equal("0\n", named.StdoutText);
    }

    [SkippableFact]
    public async Task Unknown_user_is_an_error()
    {
        await using var h = await StartAsync();
        var ex = await Assert.ThrowsAsync<AgentException>(() => h.Client.ExecAsync(new ExecRequest { Shell = "true", User = "no-such-user-x" }, Timeout()));
        Assert.Contains("unknown user", ex.Message, StringComparison.Ordinal);
    }

    private static CancellationToken Timeout() => new CancellationTokenSource(TestTimeout).Token;

    private static async Task<(byte[] Stdout, byte[] Stderr)> CollectAsync(ExecProcess p)
    {
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        await foreach (var c in p.ReadOutputAsync(Timeout()))
        {
            (c.Kind == ExecOutputKind.Stderr ? stderr : stdout).Write(c.Data.Span);
        }

        return (stdout.ToArray(), stderr.ToArray());
    }

    private static async Task<string> FirstLineAsync(ExecProcess p)
    {
        var text = new StringBuilder();
        await foreach (var c in p.ReadOutputAsync(Timeout()))
        {
            text.Append(Encoding.UTF8.GetString(c.Data.Span));
            if (text.ToString().Contains('\n', StringComparison.Ordinal))
            {
                break;
            }
        }

        return text.ToString().Trim();
    }

    private static async Task<bool> GoneAsync(int pid)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (DateTime.UtcNow < deadline)
        {
            // A zombie is dead too; who reaps it (init, once the agent is gone) is not ours to wait for.
            if (!File.Exists($"/proc/{pid}/stat") || IsZombie(pid))
            {
                return true;
            }

            await Task.Delay(20);
        }

        return false;
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }

    private Task<AgentHarness> StartAsync(AgentClientOptions? options = null, bool shim = false, int? shimWindow = null) =>
        AgentHarness.StartAsync(build.AgentPath, options, shim, shimWindow);
}
