using System.Security.Cryptography;
using Sandbox86.IntegrationTests.Infrastructure;

namespace Sandbox86.IntegrationTests.Machines;

/// <summary>The <c>run</c> command end to end on the default image, as a user runs it.</summary>
public sealed class RunCommandTests
{
    [Fact]
    public async Task Run_gives_the_commands_own_stdout_stderr_and_exit_code()
    {
        DefaultImage.Open();
        var result = await CliRunner.RunAsync(["run", "--", "sh", "-c", "echo out; echo err >&2; exit 7"]);
        Assert.Equal(7, result.ExitCode);
        Assert.Equal("out\n", result.Stdout);
        Assert.Contains("err\n", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_python_prints_42()
    {
        DefaultImage.Open();
        var result = await CliRunner.RunAsync(["run", "--", "python3", "-c", "print(6*7)"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("42\n", result.Stdout);
    }

    [Fact]
    public async Task A_10_MB_random_file_round_trips_through_copy_in_and_copy_out_byte_for_byte()
    {
        DefaultImage.Open();
        var dir = Directory.CreateTempSubdirectory("sandbox86-copy-");
        try
        {
            var input = Path.Combine(dir.FullName, "in.bin");
            var output = Path.Combine(dir.FullName, "out.bin");
            var data = RandomNumberGenerator.GetBytes(10 * 1024 * 1024);
            await File.WriteAllBytesAsync(input, data);
            var result = await CliRunner.RunAsync([
                "run", "--copy-in", $"{input}:/tmp/in.bin", "--copy-out", $"/tmp/copy.bin:{output}", "--",
                "sh", "-c", "sha256sum /tmp/in.bin | cut -d' ' -f1; cp /tmp/in.bin /tmp/copy.bin",
            ]);
            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), result.Stdout.Trim());
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(await File.ReadAllBytesAsync(output)));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_command_that_outlives_the_timeout_exits_124()
    {
        DefaultImage.Open();
        var result = await CliRunner.RunAsync(["run", "--timeout", "2", "--", "sh", "-c", "sleep 60; echo never"]);
        Assert.Equal(124, result.ExitCode);
        Assert.DoesNotContain("never", result.Stdout, StringComparison.Ordinal);
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(30), $"took {result.Elapsed}");
    }

    [Fact]
    public async Task Stdin_is_piped_with_dash_i()
    {
        DefaultImage.Open();
        var result = await CliRunner.RunAsync(["run", "-i", "--", "sh", "-c", "tr a-z A-Z"], stdin: "hello stdin\n");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("HELLO STDIN\n", result.Stdout);
    }

    [Fact]
    public async Task Env_and_workdir_reach_the_command()
    {
        DefaultImage.Open();
        var result = await CliRunner.RunAsync(["run", "--env", "GREETING=hi there", "--workdir", "/etc", "--", "sh", "-c", "echo \"$GREETING\"; pwd"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("hi there\n/etc\n", result.Stdout);
    }

    [Fact]
    public async Task Two_runs_at_once_from_separate_processes_both_succeed()
    {
        DefaultImage.Open();
        var first = CliRunner.RunAsync(["run", "--", "sh", "-c", "echo one"]);
        var second = CliRunner.RunAsync(["run", "--", "sh", "-c", "echo two"]);
        var results = await Task.WhenAll(first, second);
        Assert.Equal(("one\n", 0), (results[0].Stdout, results[0].ExitCode));
        Assert.Equal(("two\n", 0), (results[1].Stdout, results[1].ExitCode));
    }

    [Theory]
    [InlineData("unknown image", "run --image no-such-image -- true", "unknown image 'no-such-image'")]
    [InlineData("memory too small", "run --memory 16 -- true", "out of range")]
    [InlineData("memory too large", "run --memory 99999 -- true", "out of range")]
    [InlineData("missing copy-in source", "run --copy-in /no/such/file:/tmp/x -- true", "--copy-in source not found")]
    [InlineData("bad env", "run --env =x -- true", "expected K=V")]
    public async Task Bad_input_gets_one_clear_line_and_a_nonzero_exit(string what, string args, string expected)
    {
        _ = what;
        var result = await CliRunner.RunAsync(args.Split(' '));
        Assert.Equal(125, result.ExitCode);
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Copy_out_of_a_path_missing_in_the_guest_is_a_clear_error()
    {
        DefaultImage.Open();
        var target = Path.Combine(Path.GetTempPath(), $"sandbox86-missing-{Guid.NewGuid():N}");
        var result = await CliRunner.RunAsync(["run", "--copy-out", $"/no/such/file:{target}", "--", "true"]);
        Assert.Equal(125, result.ExitCode);
        Assert.Contains("--copy-out /no/such/file", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(target));
    }
    [Fact]
    public async Task A_directory_tree_copies_in_and_out_recursively_with_modes_and_without_guest_symlinks()
    {
        DefaultImage.Open();
        var dir = Directory.CreateTempSubdirectory("sandbox86-tree-");
        try
        {
            var source = Path.Combine(dir.FullName, "src");
            Directory.CreateDirectory(Path.Combine(source, "a", "b"));
            await File.WriteAllTextAsync(Path.Combine(source, "top.txt"), "top");
            await File.WriteAllTextAsync(Path.Combine(source, "a", "b", "deep.sh"), "#!/bin/sh\necho deep\n");
            File.SetUnixFileMode(Path.Combine(source, "a", "b", "deep.sh"), (UnixFileMode)0x1ED);
            var back = Path.Combine(dir.FullName, "back");
            var result = await CliRunner.RunAsync([
                "run", "--copy-in", $"{source}:/tmp/tree", "--copy-out", $"/tmp/tree:{back}", "--",
                "sh", "-c", "/tmp/tree/a/b/deep.sh; echo new > /tmp/tree/a/made-in-guest; ln -s /etc/passwd /tmp/tree/link; chmod 4755 /tmp/tree/top.txt",
            ]);
            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Equal("deep\n", result.Stdout);
            Assert.Equal("top", await File.ReadAllTextAsync(Path.Combine(back, "top.txt")));
            Assert.Equal("new\n", await File.ReadAllTextAsync(Path.Combine(back, "a", "made-in-guest")));
            Assert.Equal((UnixFileMode)0x1ED, File.GetUnixFileMode(Path.Combine(back, "a", "b", "deep.sh")));
            Assert.False(File.GetUnixFileMode(Path.Combine(back, "top.txt")).HasFlag(UnixFileMode.SetUser), "setuid from the guest never reaches the host");
            Assert.False(Path.Exists(Path.Combine(back, "link")), "a guest symlink is left out, not followed");
            Assert.Contains("left out 1", result.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
