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

            // Saving a machine with live mounts is refused rather than producing a state that cannot resume.
            await Assert.ThrowsAsync<MachineException>(() => vm.SaveStateAsync(Path.Combine(rw.FullName, "state"), CancellationToken.None));
        }
        finally
        {
            rw.Delete(recursive: true);
            ro.Delete(recursive: true);
        }
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
