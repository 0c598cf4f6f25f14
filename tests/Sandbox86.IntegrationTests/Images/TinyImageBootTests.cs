using System.Text;
using Sandbox86.Guest;
using Sandbox86.Images.Build;
using Sandbox86.IntegrationTests.Infrastructure;
using Sandbox86.Machines;

namespace Sandbox86.IntegrationTests.Images;

[Collection("tiny image")]
public sealed class TinyImageBootTests
{
    private readonly TinyImageFixture _tiny;

    public TinyImageBootTests(TinyImageFixture tiny) => _tiny = tiny;

    [Fact]
    public async Task A_busybox_tarball_becomes_a_bootable_image_whose_agent_runs_commands_with_ownership_intact()
    {
        Assert.True(_tiny.Image.Manifest.Stats.Symlinks >= 11, "the applet symlinks are indexed");
        await using var vm = await Machine.StartAsync(_tiny.Image, new MachineOptions { Cold = true }, CancellationToken.None);
        var motd = await vm.Agent.ExecAsync(ExecRequest.ForArgv("/bin/cat", "/etc/motd"), CancellationToken.None);
        Assert.Equal(0, motd.ExitCode);
        Assert.Equal("hello from the tiny image\n", motd.StdoutText);
        var owner = await vm.Agent.ExecAsync(ExecRequest.ForArgv("/bin/ls", "-ln", "/etc/motd"), CancellationToken.None);
        Assert.Matches(@"^-rw-r--r--\s+\d+\s+1000\s+1000\s", owner.StdoutText);
        var uname = await vm.Agent.ExecAsync(ExecRequest.ForArgv("/bin/uname", "-m"), CancellationToken.None);
        Assert.Equal("i686", uname.StdoutText.Trim());
        // The host sends agent hellos from the worker's start, every second, long before the guest's virtio-console
        // driver has set up the port's queue: those bytes must be dropped by the worker (v86 would pop garbage
        // descriptors from address 0: "RangeError: offset is out of bounds", seen in CI on a loaded host).
        var stats = await ((Sandbox86.Machines.Worker.WorkerProcess)vm.WorkerConnection).GetStatsAsync(CancellationToken.None);
        Assert.True(stats.UnreadyConsoleBytesDropped > 0, "no hello reached the worker before the guest's console driver was ready");
    }

    [Fact]
    public async Task With_the_system_init_the_tiny_image_boots_to_a_shell_prompt_on_ttyS0()
    {
        var tar = Path.Combine(Path.GetTempPath(), $"sandbox86-tiny-shell-{Guid.NewGuid():N}.tar");
        TinyRootfs.Write(tar, "#!/bin/sh\nexec /bin/sh\n");
        try
        {
            var image = await new ImageBuilder(Sandbox86.Images.Store.ImageStore.Default).BuildAsync(new ImageBuildOptions
            {
                Name = "it-shell-" + Guid.NewGuid().ToString("N")[..8],
                Source = ImageSourceKind.Tar,
                SourcePath = tar,
                MemoryMb = 96,
                Cmdline = ImageBuildOptions.DefaultCmdline + " sandbox86.init=system",
            }, CancellationToken.None);

            var console = new StringBuilder();
            var prompt = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void OnSerial(ReadOnlyMemory<byte> bytes)
            {
                lock (console)
                {
                    console.Append(Encoding.Latin1.GetString(bytes.Span));
                    var text = console.ToString();
                    if (text.Contains("# ", StringComparison.Ordinal))
                    {
                        prompt.TrySetResult();
                    }

                    if (text.Contains("tiny-42", StringComparison.Ordinal))
                    {
                        answer.TrySetResult();
                    }
                }
            }

            // The agent is not PID 1 here, so start the worker directly rather than waiting for it.
            await using var vm = await BootWithoutAgent.StartAsync(image, OnSerial);
            await prompt.Task.WaitAsync(TimeSpan.FromSeconds(90));
            await vm.SendSerialAsync("echo tiny-$((6*7))\n"u8.ToArray(), CancellationToken.None);
            await answer.Task.WaitAsync(TimeSpan.FromSeconds(20));
        }
        finally
        {
            File.Delete(tar);
        }
    }
}
