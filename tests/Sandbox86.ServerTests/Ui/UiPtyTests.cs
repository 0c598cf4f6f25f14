using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.RegularExpressions;
using Sandbox86.Server.Ui;
using Sandbox86.ServerTests.Pool;

namespace Sandbox86.ServerTests.Ui;

/// <summary>The console's PTY socket against a real sandbox: shell, resize, Ctrl+C, hang-up, hostile frames, a flood.</summary>
public sealed partial class UiPtyTests(UiServerFixture fixture) : IClassFixture<UiServerFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task The_shell_runs_commands_on_a_pty_of_the_pages_size_and_follows_a_resize()
    {
        await using var pty = await fixture.OpenAsync(cols: 80, rows: 24);
        await pty.SendAsync("stty size; echo R-$((6*7))\r");
        var screen = await pty.WaitForAsync(s => s.Contains("R-42", StringComparison.Ordinal), Patience, "command output");
        Assert.Contains("24 80", screen, StringComparison.Ordinal);
        await pty.SendTextAsync("""{"type":"resize","cols":100,"rows":30}""");
        await pty.SendAsync("stty size; echo S-$((6*8))\r");
        screen = await pty.WaitForAsync(s => s.Contains("S-48", StringComparison.Ordinal), Patience, "output after the resize");
        Assert.Contains("30 100", screen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ctrl_C_reaches_the_guests_foreground_command()
    {
        await using var pty = await fixture.OpenAsync();
        await pty.SendAsync("sleep 600; echo SLEPT\r");
        await pty.SendAsync("echo READY-$((3*3))\r");
        await Task.Delay(TimeSpan.FromSeconds(2));
        await pty.SendAsync("\u0003");
        await pty.SendAsync("echo AFTER-$((1+1))\r");
        // Without the interrupt AFTER-2 would come only after the 600 s sleep (READY was typed ahead and is eaten with it).
        var screen = await pty.WaitForAsync(s => s.Contains("AFTER-2", StringComparison.Ordinal), Patience, "the shell back after Ctrl+C");
        Assert.DoesNotContain("SLEPT", screen.Replace("echo SLEPT", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Closing_the_socket_ends_its_shell()
    {
        int pid;
        await using (var first = await fixture.OpenAsync())
        {
            await first.SendAsync("echo PID-$$-END\r");
            var screen = await first.WaitForAsync(s => PidPattern().IsMatch(s), Patience, "the shell's pid");
            pid = int.Parse(PidPattern().Match(screen).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        }

        var clock = Stopwatch.StartNew();
        string state;
        do
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            state = await SandboxShell.RunAsync(fixture.Server, await SandboxAsync(), $"test -d /proc/{pid} && echo alive || echo gone");
        }
        while (state.Trim() == "alive" && clock.Elapsed < Patience);
        Assert.Equal("gone", state.Trim());
    }

    [Fact]
    public async Task Oversized_and_malformed_messages_close_the_socket_and_the_console_keeps_serving()
    {
        await using (var big = await fixture.OpenAsync())
        {
            await big.Socket.SendAsync(new byte[PtyBridge.MaxClientMessageBytes + 1], WebSocketMessageType.Binary, true, CancellationToken.None);
            Assert.Equal(WebSocketCloseStatus.MessageTooBig, await big.WaitClosedAsync(Patience));
        }

        foreach (var text in new[] { "{not json", """{"type":"resize","cols":"wide","rows":5}""", """{"type":"resize","cols":0,"rows":5}""", """{"type":"exec","cmd":"reboot"}""", "[" + new string('[', 100) })
        {
            await using var bad = await fixture.OpenAsync();
            await bad.SendTextAsync(text);
            Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, await bad.WaitClosedAsync(Patience));
        }

        await using var good = await fixture.OpenAsync();
        await good.SendAsync("echo OK-$((5*5))\r");
        await good.WaitForAsync(s => s.Contains("OK-25", StringComparison.Ordinal), Patience, "a working shell after the bad sockets");
    }

    [Fact]
    public async Task A_guest_flooding_a_stalled_page_is_held_back_not_buffered()
    {
        await using var pty = await fixture.OpenAsync();
        var sandbox = await SandboxAsync();
        await SandboxShell.RunAsync(fixture.Server, sandbox, "rm -f /tmp/flood.count");
        // 64 KiB lines, each followed by a counter the test reads through envd while the page reads nothing.
        await pty.SendAsync("i=0; while :; do printf '%065536d\\n' 0; i=$((i+1)); echo $i > /tmp/flood.count; done\r");
        await pty.WaitForAsync(s => s.Contains("0000000000000000", StringComparison.Ordinal), Patience, "the flood starting");
        GC.Collect();
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        long heapPeak = heapBefore;

        // Not reading from here on. With backpressure the guest's writer blocks once the socket buffers, the
        // bridge's queue and the agent's window are full: the counter stops. Without it, it would run forever.
        var clock = Stopwatch.StartNew();
        var previous = -1L;
        var stalled = false;
        while (!stalled && clock.Elapsed < TimeSpan.FromMinutes(3))
        {
            await Task.Delay(TimeSpan.FromSeconds(4));
            var count = long.Parse("0" + (await SandboxShell.RunAsync(fixture.Server, sandbox, "cat /tmp/flood.count 2>/dev/null")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            heapPeak = Math.Max(heapPeak, GC.GetTotalMemory(forceFullCollection: true));
            stalled = count > 0 && count == previous;
            previous = count;
        }

        Assert.True(stalled, $"the guest kept writing into a page that reads nothing (counter {previous} after {clock.Elapsed.TotalSeconds:0}s)");
        // Stalled at ~`previous` 64 KiB lines: what the sockets and the queues hold, not the guest's whole output.
        Assert.True(previous * 64 < 64 * 1024, $"{previous} lines (~{previous * 64} KiB) went out before the stall");
        Assert.True(heapPeak - heapBefore < 48L * 1024 * 1024, $"server heap grew by {(heapPeak - heapBefore) / 1048576} MiB during the stall");

        await pty.SendAsync("\u0003");
        await pty.SendAsync("echo DONE-$((2+3))\r");
        await pty.WaitForAsync(s => s.Contains("DONE-5", StringComparison.Ordinal), TimeSpan.FromMinutes(3), "the shell back after the flood");
    }

    private async Task<System.Text.Json.JsonElement> SandboxAsync()
    {
        var text = await fixture.Server.Client.GetStringAsync($"/sandboxes/{fixture.SandboxId}");
        return System.Text.Json.JsonDocument.Parse(text).RootElement.Clone();
    }

    [GeneratedRegex(@"PID-(\d+)-END")]
    private static partial Regex PidPattern();
}
