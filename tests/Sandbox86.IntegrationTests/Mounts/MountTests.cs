using System.Diagnostics;
using System.Security.Cryptography;
using Sandbox86.Guest;
using Sandbox86.IntegrationTests.Infrastructure;
using Sandbox86.Machines;
using Sandbox86.Mounts;

namespace Sandbox86.IntegrationTests.Mounts;

/// <summary>
/// Live host-directory mounts in a real guest: the guest kernel's 9P client (trans=fd on hvc2) against
/// the C# server. One machine runs the whole file-operation battery; one CLI run checks <c>-v</c>.
/// </summary>
public sealed class MountTests
{
    private static Task<ExecResult> Sh(Machine vm, string script) =>
        vm.Agent.ExecAsync(ExecRequest.ForArgv("sh", "-c", script));

    [Fact]
    public async Task A_mount_is_live_both_ways_and_a_read_only_mount_refuses_writes()
    {
        var image = DefaultImage.Open();
        var rw = Directory.CreateTempSubdirectory("sandbox86-mount-rw-");
        var ro = Directory.CreateTempSubdirectory("sandbox86-mount-ro-");
        var snapshot = new DirectoryInfo(Path.Combine(Path.GetTempPath(), "sandbox86-mount-snap-" + Guid.NewGuid().ToString("N")));
        try
        {
            await File.WriteAllTextAsync(Path.Combine(rw.FullName, "from-host.txt"), "one\n");
            await File.WriteAllTextAsync(Path.Combine(ro.FullName, "readme"), "read only\n");
            var data = RandomNumberGenerator.GetBytes(10 * 1024 * 1024);
            await File.WriteAllBytesAsync(Path.Combine(rw.FullName, "big.bin"), data);
            await using var vm = await Machine.StartAsync(image, new MachineOptions
            {
                Mounts = [new MountSpec { HostPath = rw.FullName, GuestPath = "/workspace" }, new MountSpec { HostPath = ro.FullName, GuestPath = "/ro", ReadOnly = true }],
            }, CancellationToken.None);

            // A guest write is on the host when the exec returns.
            var w = await Sh(vm, "cat /workspace/from-host.txt && mkdir -p /workspace/events && echo '{\"n\":1}' > /workspace/events/1.json");
            Assert.True(w.ExitCode == 0, w.StderrText);
            Assert.Equal("one\n", w.StdoutText);
            Assert.Equal("{\"n\":1}\n", await File.ReadAllTextAsync(Path.Combine(rw.FullName, "events", "1.json")));

            // A host edit is seen by the next guest read.
            await File.WriteAllTextAsync(Path.Combine(rw.FullName, "from-host.txt"), "two, longer\n");
            var r = await Sh(vm, "cat /workspace/from-host.txt");
            Assert.Equal("two, longer\n", r.StdoutText);

            // Renames, links, chmod, deletes, a sparse file and a 10 MB read, all reflected on the host.
            var clock = Stopwatch.StartNew();
            var ops = await Sh(vm, string.Join(" && ",
                "cd /workspace",
                "mv events/1.json events/2.json",
                "ln -s events/2.json latest",
                "ln events/2.json hard",
                "chmod 700 events/2.json",
                "echo gone > tmp && rm tmp",
                "dd if=/dev/zero of=sparse bs=1 count=1 seek=5000000 2>/dev/null",
                "sha256sum big.bin | cut -d' ' -f1",
                "readlink latest",
                "stat -c %a events/2.json",
                "cat /ro/readme"));
            Assert.True(ops.ExitCode == 0, ops.StderrText);
            Assert.Equal($"{Convert.ToHexStringLower(SHA256.HashData(data))}\nevents/2.json\n700\nread only\n", ops.StdoutText);
            Assert.False(File.Exists(Path.Combine(rw.FullName, "events", "1.json")));
            Assert.Equal("events/2.json", new FileInfo(Path.Combine(rw.FullName, "latest")).LinkTarget);
            Assert.Equal("{\"n\":1}\n", await File.ReadAllTextAsync(Path.Combine(rw.FullName, "hard")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(rw.FullName, "events", "2.json")));
            Assert.False(File.Exists(Path.Combine(rw.FullName, "tmp")));
            Assert.Equal(5_000_001, new FileInfo(Path.Combine(rw.FullName, "sparse")).Length);

            // The read-only mount refuses every write with EROFS and the host directory is untouched.
            var denied = await Sh(vm, "echo x > /ro/new; echo $?; rm /ro/readme; echo $?; mkdir /ro/d; echo $?");
            Assert.Equal("2\n1\n1\n", denied.StdoutText); // dash exits 2 when a redirection fails
            Assert.Contains("Read-only file system", denied.StderrText, StringComparison.Ordinal);
            Assert.Equal(["readme"], Directory.GetFileSystemEntries(ro.FullName).Select(Path.GetFileName));

            // Nothing the guest does through the mount reaches outside it.
            var escape = await Sh(vm, "ln -s / /workspace/root && echo pwned > /workspace/root/tmp/escaped && cat /workspace/root/tmp/escaped");
            Assert.Equal("pwned\n", escape.StdoutText); // the guest's own /tmp, through the guest's own /
            Assert.False(File.Exists("/tmp/escaped"));
            Assert.Equal("/", new FileInfo(Path.Combine(rw.FullName, "root")).LinkTarget);

            // An image with 9pnet_fd in its initramfs needs no module copied in (older images still get the copy).
            if (InitrdHasFdTransport(image.InitrdPath))
            {
                Assert.False(vm.MountsCopiedTransportModule, "9pnet_fd is in the initramfs but was copied in anyway");
            }

            // A save detaches the mounts (the state carries no 9P session) and attaches them again: still live.
            await vm.SaveStateAsync(snapshot.FullName, CancellationToken.None);
            await File.WriteAllTextAsync(Path.Combine(rw.FullName, "after-save.txt"), "three\n");
            Assert.Equal("three\n", (await Sh(vm, "cat /workspace/after-save.txt")).StdoutText);
            Assert.Equal(2, vm.LiveMounts.Count);

            // A restore of that state attaches the mounts it is given, and a fork's child gets its parent's.
            await using (var restored = await Machine.StartAsync(image, new MachineOptions { StatePath = snapshot.FullName, Mounts = [vm.LiveMounts[0]] }, CancellationToken.None))
            {
                var again = await Sh(restored, "cat /workspace/after-save.txt && echo restored > /workspace/restored.txt");
                Assert.True(again.ExitCode == 0, again.StderrText);
                Assert.Equal("three\n", again.StdoutText);
                Assert.Equal("restored\n", await File.ReadAllTextAsync(Path.Combine(rw.FullName, "restored.txt")));
            }

            var forks = await Sandbox86.Machines.Fork.MachineFork.ForkAsync(vm, 1, new MachineOptions(), CancellationToken.None);
            await using (var child = forks[0].Machine ?? throw new InvalidOperationException("fork failed: " + forks[0].Error))
            {
                Assert.Equal(2, child.LiveMounts.Count);
                var c = await Sh(child, "cat /ro/readme && echo forked > /workspace/forked.txt");
                Assert.True(c.ExitCode == 0, c.StderrText);
                Assert.Equal("forked\n", await File.ReadAllTextAsync(Path.Combine(rw.FullName, "forked.txt")));
            }

            Assert.Equal("forked\n", (await Sh(vm, "cat /workspace/forked.txt")).StdoutText);
        }
        finally
        {
            rw.Delete(recursive: true);
            ro.Delete(recursive: true);
            if (Directory.Exists(snapshot.FullName))
            {
                Directory.Delete(snapshot.FullName, recursive: true);
            }
        }
    }

    private static bool InitrdHasFdTransport(string initrd)
    {
        using var gz = new System.IO.Compression.GZipStream(File.OpenRead(initrd), System.IO.Compression.CompressionMode.Decompress);
        using var all = new MemoryStream();
        gz.CopyTo(all);
        return all.GetBuffer().AsSpan(0, (int)all.Length).IndexOf("lib/modules/9pnet_fd.ko"u8) >= 0;
    }

    [Fact]
    public async Task Run_with_v_writes_to_the_host_directory_before_it_returns()
    {
        DefaultImage.Open();
        var dir = Directory.CreateTempSubdirectory("sandbox86-mount-cli-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "in.txt"), "attachment\n");
            var result = await CliRunner.RunAsync(["run", "-v", $"{dir.FullName}:/workspace", "--", "sh", "-c", "tr a-z A-Z < /workspace/in.txt > /workspace/out.txt; echo done"]);
            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Equal("done\n", result.Stdout);
            Assert.Equal("ATTACHMENT\n", await File.ReadAllTextAsync(Path.Combine(dir.FullName, "out.txt")));

            var bad = await CliRunner.RunAsync(["run", "-v", $"{dir.FullName}/missing:/workspace", "--", "true"]);
            Assert.NotEqual(0, bad.ExitCode);
            Assert.Contains("not an existing host directory", bad.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
