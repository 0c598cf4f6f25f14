using System.Diagnostics;
using System.Text;
using Sandbox86.Images.Store;
using Sandbox86.IntegrationTests.Infrastructure;
using Sandbox86.Machines;

namespace Sandbox86.IntegrationTests.Machines;

/// <summary><c>boot --no-console --save</c> ends with Ctrl+C, and that Ctrl+C saves the boot snapshot.</summary>
[Collection("tiny image")]
public sealed class BootSaveTests
{
    private const string RunningLine = "sandbox86: running; Ctrl+C stops it";

    private readonly TinyImageFixture _tiny;

    public BootSaveTests(TinyImageFixture tiny) => _tiny = tiny;

    [Fact]
    public async Task Ctrl_c_on_boot_no_console_save_replaces_the_boot_snapshot_and_exits_0()
    {
        // An image of its own: the shared tiny image's snapshot stays as the other tests expect it.
        var image = await _tiny.BuildAsync("it-bootsave-" + Guid.NewGuid().ToString("N")[..8]);
        var memory = image.Manifest.MemoryMb;
        var snapshot = image.BootSnapshotPath(memory);
        await using (await Machine.StartAsync(image, new MachineOptions(), CancellationToken.None))
        {
            // The first start makes the boot snapshot that boot --save must replace.
        }

        var before = Snapshots.ReadMeta(snapshot);
        Assert.NotNull(before);

        using var cli = CliRunner.Start(["boot", image.Name, "--no-console", "--save"], defaultSigint: true);
        var stdout = cli.StandardOutput.ReadToEndAsync();
        var stderr = new StringBuilder();
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stderrDone = Task.Run(async () =>
        {
            while (await cli.StandardError.ReadLineAsync() is { } line)
            {
                lock (stderr)
                {
                    stderr.AppendLine(line);
                }

                if (line == RunningLine)
                {
                    running.TrySetResult();
                }
            }
        });

        try
        {
            await running.Task.WaitAsync(TimeSpan.FromSeconds(120));
        }
        catch (TimeoutException)
        {
            cli.Kill(entireProcessTree: true);
            Assert.Fail($"boot did not report running; stderr:\n{Text(stderr)}");
        }

        using (var kill = Process.Start("kill", ["-INT", cli.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        try
        {
            // Dropping the cache, warming up and compressing: seconds on an idle machine, more on a loaded one.
            await cli.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(4));
        }
        catch (TimeoutException)
        {
            cli.Kill(entireProcessTree: true);
            Assert.Fail($"boot did not exit after Ctrl+C; stderr:\n{Text(stderr)}");
        }

        await stderrDone;
        await stdout;
        var log = Text(stderr);
        Assert.True(cli.ExitCode == 0, $"exit {cli.ExitCode}; stderr:\n{log}");
        Assert.Contains($"saved the VM state as {image.Name}'s boot snapshot", log, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(snapshot, StoredImage.SnapshotStateFile)), "state.zst is there");
        var after = Snapshots.ReadMeta(snapshot);
        Assert.NotNull(after);
        Assert.True(after.Created > before.Created, $"meta.json is a new one (was {before.Created:O}, now {after.Created:O})");
        Assert.Equal(image.Manifest.BuildId, after.ImageBuildId);
        Assert.Equal(after.CompressedBytes, new FileInfo(Path.Combine(snapshot, StoredImage.SnapshotStateFile)).Length);
    }

    private static string Text(StringBuilder builder)
    {
        lock (builder)
        {
            return builder.ToString();
        }
    }
}
