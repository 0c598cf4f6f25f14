using System.Formats.Tar;
using Sandbox86.Cli.Commands.Sandboxes;
using Sandbox86.Cli.Output;
using Sandbox86.Client;

namespace Sandbox86.ServerTests.Verbs;

/// <summary>The verbs' argument parsing and the host-side tar extraction, without a server.</summary>
public sealed class VerbParsingTests
{
    [Theory]
    [InlineData("exec c ls -la", "exec c -- ls -la")]
    [InlineData("exec -it -e A=1 -w /tmp c sh -c x", "exec -it -e A=1 -w /tmp c -- sh -c x")]
    [InlineData("exec --user root c -- id -u", "exec --user root c -- id -u")]
    [InlineData("--debug exec c true", "--debug exec c -- true")]
    [InlineData("exec c", "exec c")]
    [InlineData("run -- exec c ls", "run -- exec c ls")]
    [InlineData("ps", "ps")]
    public void Exec_gets_a_double_dash_after_the_sandbox_as_docker_exec_needs_none(string given, string expected) =>
        Assert.Equal(expected.Split(' '), ExecCommandLine.Normalize(given.Split(' ')));

    [Fact]
    public void Exec_flags_become_the_process_request()
    {
        var parse = ExecCommand.Create().Parse(["-i", "-e", "A=1", "-e", "B=x=y", "-w", "/srv", "-u", "root", "box", "--", "sh", "-c", "echo $A"]);
        Assert.Empty(parse.Errors);
        var options = ExecCommand.ToOptions(parse, null);
        Assert.Equal(["sh", "-c", "echo $A"], options.Command);
        Assert.Equal("1", options.Env["A"]);
        Assert.Equal("x=y", options.Env["B"]);
        Assert.Equal(("/srv", "root", true), (options.WorkingDirectory, options.User, options.Stdin));
        Assert.Null(options.Pty);

        var tty = ExecCommand.ToOptions(ExecCommand.Create().Parse(["-t", "box", "--", "bash"]), (40, 120));
        Assert.Equal((40, 120), tty.Pty);
        Assert.True(tty.Stdin, "-t implies a stdin for the terminal");
        Assert.NotEmpty(ExecCommand.Create().Parse(["box"]).Errors);
    }

    [Fact]
    public void Create_flags_are_checked_before_any_server_is_asked()
    {
        var ok = CreateCommand.ToOptions(CreateCommand.Create().Parse(["--image", "default", "--name", "web-1", "--net", "none", "-e", "K=V", "--timeout", "60"]));
        Assert.Equal(("default", "web-1", false, TimeSpan.FromSeconds(60), true), (ok.Template, ok.Name, ok.AllowInternetAccess, ok.Timeout, ok.AutoPause));
        Assert.Equal("V", ok.EnvVars["K"]);
        Assert.Throws<UsageException>(() => CreateCommand.ToOptions(CreateCommand.Create().Parse(["--net", "bridge"])));
        Assert.Throws<UsageException>(() => CreateCommand.ToOptions(CreateCommand.Create().Parse(["--name", "../x"])));
        Assert.Throws<UsageException>(() => CreateCommand.ToOptions(CreateCommand.Create().Parse(["--timeout", "0"])));
    }

    [Theory]
    [InlineData("box:/tmp/a", "box", "/tmp/a")]
    [InlineData("abc123:rel/path", "abc123", "rel/path")]
    [InlineData("/host/a:b", null, "/host/a:b")]
    [InlineData("./a:b", null, "./a:b")]
    [InlineData("plain", null, "plain")]
    public void Cp_targets_follow_docker_cp_syntax(string text, string? sandbox, string path) =>
        Assert.Equal(new CopyTarget(sandbox, path), CopyTarget.Parse(text));

    [Fact]
    public void Cp_needs_exactly_one_sandbox_side()
    {
        Assert.Throws<UsageException>(() => CopyTarget.ParsePair("a:/x", "b:/y"));
        Assert.Throws<UsageException>(() => CopyTarget.ParsePair("/x", "/y"));
        Assert.Throws<UsageException>(() => CopyTarget.Parse("box:"));
    }

    [Fact]
    public void Ps_prints_a_table_with_names()
    {
        var now = DateTimeOffset.UtcNow;
        var table = PsCommand.Table([new SandboxInfo { SandboxId = "abc", TemplateId = "base", State = "running", StartedAt = now.AddMinutes(-5), EndAt = now.AddHours(1), Metadata = new Dictionary<string, string> { [SandboxClient.NameMetadataKey] = "web" } }], now);
        var lines = table.TrimEnd().Split('\n');
        Assert.StartsWith("SANDBOX ID", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^abc\s+web\s+base\s+running\s+5m ago\s+in (59m|1h)$", lines[1]);
    }

    [Fact]
    public async Task The_guests_tar_cannot_write_outside_the_destination()
    {
        foreach (var (name, type, link) in new[] { ("../escape.txt", TarEntryType.RegularFile, ""), ("a/../../escape.txt", TarEntryType.RegularFile, ""), ("link", TarEntryType.SymbolicLink, "/etc"), ("up", TarEntryType.SymbolicLink, "../../x") })
        {
            var destination = Directory.CreateTempSubdirectory("sandbox86-tar-").FullName;
            try
            {
                using var archive = new MemoryStream();
                await using (var writer = new TarWriter(archive, leaveOpen: true))
                {
                    var entry = new PaxTarEntry(type, name);
                    if (link.Length > 0)
                    {
                        entry.LinkName = link;
                    }
                    else
                    {
                        entry.DataStream = new MemoryStream("x"u8.ToArray());
                    }

                    await writer.WriteEntryAsync(entry);
                }

                archive.Position = 0;
                await Assert.ThrowsAsync<IOException>(() => GuestTarExtractor.ExtractAsync(archive, Path.Combine(destination, "d"), CancellationToken.None));
                Assert.False(File.Exists(Path.Combine(destination, "escape.txt")));
            }
            finally
            {
                Directory.Delete(destination, recursive: true);
            }
        }
    }

    [Fact]
    public async Task The_guests_tar_makes_files_directories_and_inside_links_but_no_devices()
    {
        var destination = Directory.CreateTempSubdirectory("sandbox86-tar-").FullName;
        try
        {
            using var archive = new MemoryStream();
            await using (var writer = new TarWriter(archive, leaveOpen: true))
            {
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, "d/") { Mode = (UnixFileMode)0b111_101_101 });
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "d/f") { DataStream = new MemoryStream("hello"u8.ToArray()), Mode = (UnixFileMode)0b111_000_000 });
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, "d/l") { LinkName = "f" });
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.CharacterDevice, "d/null") { DeviceMajor = 1, DeviceMinor = 3 });
            }

            archive.Position = 0;
            await GuestTarExtractor.ExtractAsync(archive, destination, CancellationToken.None);
            Assert.Equal("hello", await File.ReadAllTextAsync(Path.Combine(destination, "d", "l")));
            Assert.Equal("f", new FileInfo(Path.Combine(destination, "d", "l")).LinkTarget);
            Assert.Equal((UnixFileMode)0b111_000_000, File.GetUnixFileMode(Path.Combine(destination, "d", "f")));
            Assert.False(File.Exists(Path.Combine(destination, "d", "null")));
        }
        finally
        {
            Directory.Delete(destination, recursive: true);
        }
    }
}
