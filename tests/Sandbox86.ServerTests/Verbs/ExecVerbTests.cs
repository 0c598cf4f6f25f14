using System.Security.Cryptography;
using Xunit.Abstractions;

namespace Sandbox86.ServerTests.Verbs;

/// <summary><c>sandbox86 exec</c> against <c>docker exec</c>'s contract, through the real CLI and a real server and VM.</summary>
[Collection("verbs")]
public sealed class ExecVerbTests(VerbsFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Stdout_and_stderr_stay_apart_and_the_exit_code_passes_through()
    {
        var r = await fixture.RunAsync(["exec", fixture.Name, "--", "sh", "-c", "echo out; echo err >&2; exit 3"]);
        output.WriteLine($"exec sh -c: {r.Elapsed.TotalMilliseconds:0} ms (CLI process start included)");
        Assert.Equal(3, r.ExitCode);
        Assert.Equal("out\n", r.Stdout);
        Assert.Equal("err\n", r.Stderr);
    }

    [Fact]
    public async Task A_docker_exec_harness_line_works_unchanged_with_and_without_double_dash()
    {
        // The harness runs `docker exec <c> sh -c '<cmd>'`; both spellings must give the command's own result.
        var withDash = await fixture.RunAsync(["exec", fixture.Name, "--", "sh", "-c", "echo $((40+2)); exit 0"]);
        var without = await fixture.RunAsync(["exec", fixture.Name, "sh", "-c", "echo $((40+2)) >&2; exit 7"]);
        Assert.Equal((0, "42\n"), (withDash.ExitCode, withDash.Stdout));
        Assert.Equal((7, "", "42\n"), (without.ExitCode, without.Stdout, without.Stderr));
    }

    [Fact]
    public async Task A_missing_command_exits_127_and_a_non_executable_one_126()
    {
        var missing = await fixture.RunAsync(["exec", fixture.Name, "--", "no-such-command-xyz"]);
        Assert.Equal(127, missing.ExitCode);
        Assert.Contains("no-such-command-xyz", missing.Stderr, StringComparison.Ordinal);
        Assert.Single(missing.Stderr.Trim().Split('\n'));
        var notExecutable = await fixture.RunAsync(["exec", fixture.Name, "--", "/etc/passwd"]);
        Assert.Equal(126, notExecutable.ExitCode);
    }

    [Fact]
    public async Task Env_and_workdir_reach_the_command()
    {
        var r = await fixture.RunAsync(["exec", "-e", "GREETING=hello there", "-w", "/tmp", fixture.Name, "--", "sh", "-c", "echo \"$GREETING\"; pwd"]);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("hello there\n/tmp\n", r.Stdout);
    }

    [Fact]
    public async Task Commands_run_as_user_by_default_and_as_root_with_u_root()
    {
        var byDefault = await fixture.RunAsync(["exec", fixture.Name, "--", "sh", "-c", "id -un; pwd"]);
        var root = await fixture.RunAsync(["exec", "-u", "root", fixture.Name, "--", "id", "-un"]);
        Assert.Equal("user\n/home/user\n", byDefault.Stdout);
        Assert.Equal("root\n", root.Stdout);
    }

    [Fact]
    public async Task Stdin_reaches_the_command_with_i_and_only_with_i()
    {
        var payload = new byte[300_000];
        Random.Shared.NextBytes(payload);
        var piped = await fixture.RunAsync(["exec", "-i", fixture.Name, "--", "sha256sum"], stdin: payload);
        Assert.Equal(0, piped.ExitCode);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(payload)), piped.Stdout.Split(' ')[0]);

        // Without -i the command reads end of file at once, as with docker exec.
        var notPiped = await fixture.RunAsync(["exec", fixture.Name, "--", "wc", "-c"], stdin: payload);
        Assert.Equal("0", notPiped.Stdout.Trim());
    }

    [Fact]
    public async Task T_gives_the_command_a_terminal()
    {
        var tty = await fixture.RunAsync(["exec", "-t", fixture.Name, "--", "sh", "-c", "test -t 1 && echo is-a-tty || echo no-tty"]);
        var plain = await fixture.RunAsync(["exec", fixture.Name, "--", "sh", "-c", "test -t 1 && echo is-a-tty || echo no-tty"]);
        Assert.Equal(0, tty.ExitCode);
        Assert.Contains("is-a-tty", tty.Stdout, StringComparison.Ordinal);
        Assert.Equal("no-tty\n", plain.Stdout);
    }

    [Fact]
    public async Task Ctrl_c_sends_the_command_sigterm_and_exits_130()
    {
        // Through a shim that restores SIGINT's default: a test run started in the background ignores it.
        var psi = new System.Diagnostics.ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp('dotnet', ['dotnet'] + sys.argv[1:])", VerbCli.Dll, "exec", fixture.Name, "--", "sh", "-c", "trap 'echo got-term; exit 5' TERM; echo started; sleep 100 & wait" })
        {
            psi.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in fixture.Environment)
        {
            psi.Environment[key] = value;
        }

        using var cli = System.Diagnostics.Process.Start(psi)!;
        var stderr = cli.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        Assert.Equal("started", await cli.StandardOutput.ReadLineAsync(cts.Token));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (var kill = System.Diagnostics.Process.Start("kill", ["-INT", cli.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(cts.Token);
        }

        var rest = await cli.StandardOutput.ReadToEndAsync(cts.Token);
        await cli.WaitForExitAsync(cts.Token);
        output.WriteLine($"Ctrl+C to exit: {clock.ElapsedMilliseconds} ms");
        Assert.Equal("got-term\n", rest);
        Assert.True(cli.ExitCode == 130, $"exit {cli.ExitCode}: {await stderr}");
    }

    [Fact]
    public async Task The_sandbox_is_found_by_id_as_well_as_by_name()
    {
        var r = await fixture.RunAsync(["exec", fixture.Id, "--", "echo", "by-id"]);
        Assert.Equal((0, "by-id\n"), (r.ExitCode, r.Stdout));
    }

    [Fact]
    public async Task An_unknown_sandbox_exits_1_with_one_line()
    {
        var r = await fixture.RunAsync(["exec", "no-such-sandbox", "--", "true"]);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.Single(r.Stderr.Trim().Split('\n'));
        Assert.Contains("no-such-sandbox", r.Stderr, StringComparison.Ordinal);
    }
}
