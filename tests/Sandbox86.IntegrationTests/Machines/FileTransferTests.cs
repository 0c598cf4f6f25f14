using System.Security.Cryptography;
using Sandbox86.Guest;
using Sandbox86.IntegrationTests.Infrastructure;
using Sandbox86.Machines;
using Sandbox86.Machines.Worker;
using Sandbox86.Sandboxes;

namespace Sandbox86.IntegrationTests.Machines;

/// <summary>One VM for the whole class (each test uses its own directory): boots once, ~1 s.</summary>
public sealed class FileTransferVm : IAsyncLifetime
{
    public Machine Vm { get; private set; } = null!;

    internal WorkerProcess Worker => (WorkerProcess)Vm.WorkerConnection;

    public async Task InitializeAsync() => Vm = await Machine.StartAsync(DefaultImage.Open(), new MachineOptions { BootTimeout = TimeSpan.FromMinutes(5) }, CancellationToken.None);

    public async Task DisposeAsync() => await Vm.DisposeAsync();
}

/// <summary>
/// The bulk file path through v86's 9p tree on a real guest: bytes exact both ways at the sizes where
/// chunking goes wrong, the guest's own view coherent with what the host wrote and read, mode and
/// owner as asked, and the channel still used where the tree cannot reach (tmpfs).
/// </summary>
public sealed class FileTransferTests(FileTransferVm fixture) : IClassFixture<FileTransferVm>
{
    private AgentClient Agent => fixture.Vm.Agent;

    [Fact]
    public async Task Files_of_edge_sizes_and_10_MB_arrive_exact_both_ways_through_the_tree()
    {
        var sizes = new[] { 0, 1, 4095, 4096, 4097, 10_000_000 };
        var sentBefore = fixture.Worker.FileBytesSent;
        var receivedBefore = fixture.Worker.FileBytesReceived;
        foreach (var size in sizes)
        {
            var data = RandomNumberGenerator.GetBytes(size);
            var path = $"/root/xfer-sizes/f{size}.bin";
            await Agent.WriteFileAsync(path, new MemoryStream(data), 420, createParents: true, CancellationToken.None);
            // The guest reads what the host wrote (its own sha256sum, through its own 9p client); of the
            // 10 MB file only the size and the last 64 KiB, since hashing 10 MB under emulation takes seconds.
            var tail = data.AsSpan(Math.Max(0, size - 65536)).ToArray();
            var sum = await Agent.ExecAsync(ExecRequest.ForShell($"stat -c %s {path}; tail -c 65536 {path} | sha256sum"), CancellationToken.None);
            Assert.Equal($"{size}\n{Convert.ToHexStringLower(SHA256.HashData(tail))}  -\n", sum.StdoutText);
            using var back = new MemoryStream();
            Assert.Equal(size, await Agent.ReadFileAsync(path, back, CancellationToken.None));
            Assert.Equal(SHA256.HashData(data), SHA256.HashData(back.ToArray()));
        }

        // The bytes went through the tree, not the agent channel.
        var total = sizes.Sum(s => (long)s);
        Assert.Equal(total, fixture.Worker.FileBytesSent - sentBefore);
        Assert.Equal(total, fixture.Worker.FileBytesReceived - receivedBefore);
    }

    [Fact]
    public async Task A_file_the_guest_had_cached_is_replaced_and_the_guest_then_reads_the_new_content()
    {
        const string path = "/root/xfer-cache/config.txt";
        await Agent.WriteFileAsync(path, new MemoryStream("version-one\n"u8.ToArray()), 420, createParents: true, CancellationToken.None);
        // Read twice in the guest so its page cache and dentry cache certainly hold the first version.
        Assert.Equal("version-one\nversion-one\n", (await Agent.ExecAsync(ExecRequest.ForShell($"cat {path}; cat {path}"), CancellationToken.None)).StdoutText);
        await Agent.WriteFileAsync(path, new MemoryStream("version-two\n"u8.ToArray()), 420, createParents: true, CancellationToken.None);
        Assert.Equal("version-two\n", (await Agent.ExecAsync(ExecRequest.ForShell($"cat {path}"), CancellationToken.None)).StdoutText);

        // And the other way: the guest rewrites the file in place (same inode, maybe only in its page
        // cache), the host reads the new bytes, not the tree's stale ones.
        Assert.Equal("version-two\n", await ReadTextAsync(path));
        var rewrite = await Agent.ExecAsync(ExecRequest.ForShell($"printf 'guest-wrote-%s\\n' three > {path}; ls -i {path}"), CancellationToken.None);
        Assert.Equal(0, rewrite.ExitCode);
        Assert.Equal("guest-wrote-three\n", await ReadTextAsync(path));
        var appended = await Agent.ExecAsync(ExecRequest.ForShell($"exec 3>>{path}; printf 'more\\n' >&3; cat {path}"), CancellationToken.None);
        Assert.Equal("guest-wrote-three\nmore\n", appended.StdoutText);
        Assert.Equal("guest-wrote-three\nmore\n", await ReadTextAsync(path));
    }

    [Fact]
    public async Task Mode_and_owner_are_as_asked_and_a_copy_in_keeps_the_host_files_mode()
    {
        await Agent.WriteFileAsync("/root/xfer-mode/secret", new MemoryStream("s"u8.ToArray()), 0x180 /* 0600 */, createParents: true, CancellationToken.None);
        await Agent.WriteFileAsync("/root/xfer-mode/tool", new MemoryStream("#!/bin/sh\necho ran\n"u8.ToArray()), 0x1ED /* 0755 */, createParents: true, CancellationToken.None);
        var secret = await Agent.StatAsync("/root/xfer-mode/secret", CancellationToken.None);
        Assert.Equal(0x180, secret.Permissions);
        Assert.True(secret.IsRegularFile);
        Assert.Equal((0, 0), (secret.Uid, secret.Gid));
        Assert.Equal("ran\n", (await Agent.ExecAsync(ExecRequest.ForArgv("/root/xfer-mode/tool"), CancellationToken.None)).StdoutText);

        // As the server writes for a user: owned by that account and its group, through the tree and through
        // the channel (tmpfs) alike; the user can then rewrite it itself.
        foreach (var path in new[] { "/home/user/xfer-owned.txt", "/tmp/xfer-owned.txt" })
        {
            await Agent.WriteFileAsync(path, new MemoryStream("mine"u8.ToArray()), 0x1A4, createParents: true, owner: "user", CancellationToken.None);
            var owned = await Agent.StatAsync(path, CancellationToken.None);
            Assert.Equal((1000, 1000, 0x1A4), (owned.Uid, owned.Gid, owned.Permissions));
            var asUser = await Agent.ExecAsync(new ExecRequest { Shell = $"echo again > {path} && cat {path}", User = "user" }, CancellationToken.None);
            Assert.Equal("again\n", asUser.StdoutText);
        }

        var noUser = await Assert.ThrowsAsync<AgentException>(() => Agent.WriteFileAsync("/root/xfer-mode/x", new MemoryStream("x"u8.ToArray()), 0x1A4, createParents: true, owner: "no-such-user", CancellationToken.None));
        Assert.Equal(22, noUser.Errno);

        var host = Directory.CreateTempSubdirectory("sbx86-xfer-");
        try
        {
            var script = Path.Combine(host.FullName, "run.sh");
            await File.WriteAllTextAsync(script, "#!/bin/sh\necho hi\n");
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
            await GuestFiles.CopyInAsync(Agent, new FileCopy(host.FullName, "/root/xfer-tree"), CancellationToken.None);
            var copied = await Agent.StatAsync("/root/xfer-tree/run.sh", CancellationToken.None);
            Assert.Equal(0x1E8 /* 0750 */, copied.Permissions);
            var listing = await Agent.ExecAsync(ExecRequest.ForShell("ls -A /root/xfer-tree /root/xfer-mode"), CancellationToken.None);
            Assert.DoesNotContain(".sbx86-", listing.StdoutText, StringComparison.Ordinal);
        }
        finally
        {
            host.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Tmpfs_and_missing_paths_behave_as_before()
    {
        var sentBefore = fixture.Worker.FileBytesSent;
        var data = RandomNumberGenerator.GetBytes(100_000);
        await Agent.WriteFileAsync("/tmp/xfer-tmpfs/f.bin", new MemoryStream(data), 420, createParents: true, CancellationToken.None);
        using var back = new MemoryStream();
        await Agent.ReadFileAsync("/tmp/xfer-tmpfs/f.bin", back, CancellationToken.None);
        Assert.Equal(data, back.ToArray());
        // /tmp is not in v86's tree: the channel carried it.
        Assert.Equal(sentBefore, fixture.Worker.FileBytesSent);

        var missing = await Assert.ThrowsAsync<AgentException>(() => Agent.ReadFileAsync("/root/no-such-file", new MemoryStream(), CancellationToken.None));
        Assert.True(missing.IsNotFound, missing.Message);
        var noParent = await Assert.ThrowsAsync<AgentException>(() => Agent.WriteFileAsync("/root/no-such-dir/f", new MemoryStream(data), 420, createParents: false, CancellationToken.None));
        Assert.True(noParent.IsNotFound, noParent.Message);
        var directory = await Assert.ThrowsAsync<AgentException>(() => Agent.ReadFileAsync("/root", new MemoryStream(), CancellationToken.None));
        Assert.Equal(21, directory.Errno);
    }

    private async Task<string> ReadTextAsync(string path)
    {
        using var back = new MemoryStream();
        await Agent.ReadFileAsync(path, back, CancellationToken.None);
        return System.Text.Encoding.UTF8.GetString(back.ToArray());
    }
}
