using Sandbox86.TestSupport;
using Sandbox86.Guest;
using Sandbox86.Images.Store;
using Sandbox86.IntegrationTests.Infrastructure;
using Sandbox86.Machines;

namespace Sandbox86.IntegrationTests.Machines;

/// <summary>Snapshot integrity on the tiny image (cheap to rebuild and cold boot).</summary>
[Collection("tiny image")]
public sealed class SnapshotTests
{
    private readonly TinyImageFixture _tiny;

    public SnapshotTests(TinyImageFixture tiny) => _tiny = tiny;

    [Fact]
    public async Task A_state_saved_before_the_image_was_rebuilt_is_refused_with_a_clear_error()
    {
        var name = "it-rebuilt-" + Guid.NewGuid().ToString("N")[..8];
        var image = await _tiny.BuildAsync(name);
        var state = Path.Combine(Path.GetTempPath(), $"sandbox86-{name}.snapshot");
        try
        {
            await using (var vm = await Machine.StartAsync(image, new MachineOptions { Cold = true }, CancellationToken.None))
            {
                await vm.SaveStateAsync(state, CancellationToken.None);
            }

            // The saved state restores into the build it came from...
            await using (var again = await Machine.StartAsync(image, new MachineOptions { StatePath = state }, CancellationToken.None))
            {
                Assert.True(again.Restored);
                Assert.Equal(0, (await again.Agent.ExecAsync(ExecRequest.ForArgv("/bin/true"), CancellationToken.None)).ExitCode);
            }

            // ...but not into a rebuild of the same image name.
            var rebuilt = await _tiny.BuildAsync(name);
            var error = await Assert.ThrowsAsync<MachineException>(() => Machine.StartAsync(rebuilt, new MachineOptions { StatePath = state }, CancellationToken.None));
            Assert.Contains("another build", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("flipped byte")]
    public async Task A_corrupt_boot_snapshot_is_detected_removed_and_replaced_after_a_cold_boot(string damage)
    {
        var name = "it-corrupt-" + Guid.NewGuid().ToString("N")[..8];
        var image = await _tiny.BuildAsync(name);
        await using (var first = await Machine.StartAsync(image, new MachineOptions(), CancellationToken.None))
        {
            Assert.True(first.Restored);
        }

        var snapshot = image.BootSnapshotPath(image.Manifest.MemoryMb);
        var judged = Snapshots.ReadMeta(snapshot)!;
        await using (var stream = new FileStream(Path.Combine(snapshot, StoredImage.SnapshotStateFile), FileMode.Open))
        {
            if (damage == "truncated")
            {
                stream.SetLength(stream.Length / 2);
            }
            else
            {
                // Same size, so only the digest check (during decompression) can notice.
                stream.Position = stream.Length / 2;
                var b = stream.ReadByte();
                stream.Position = stream.Length / 2;
                stream.WriteByte((byte)(b ^ 0xFF));
            }
        }

        var log = new ListLogger();
        await using (var vm = await Machine.StartAsync(image, new MachineOptions { Logger = log }, CancellationToken.None))
        {
            Assert.Contains(log.Lines, l => l.Contains("corrupt", StringComparison.Ordinal));
            Assert.Equal(0, (await vm.Agent.ExecAsync(ExecRequest.ForArgv("/bin/true"), CancellationToken.None)).ExitCode);
        }

        // The damaged unit is gone; the next start makes a fresh one (one cold boot) and restores it.
        Assert.NotEqual(judged, Snapshots.ReadMeta(snapshot));
        await using var next = await Machine.StartAsync(image, new MachineOptions(), CancellationToken.None);
        Assert.True(next.Restored);
        var fresh = Snapshots.ReadMeta(snapshot)!;
        Assert.NotEqual(judged.Created, fresh.Created);
        Assert.Equal(fresh.CompressedBytes, new FileInfo(Path.Combine(snapshot, StoredImage.SnapshotStateFile)).Length);
    }

    [Fact]
    public async Task Saving_the_boot_snapshot_while_machines_start_never_deletes_a_valid_snapshot()
    {
        var name = "it-save-race-" + Guid.NewGuid().ToString("N")[..8];
        var image = await _tiny.BuildAsync(name);
        var log = new ListLogger();
        var options = new MachineOptions { Logger = log };
        await using var saver = await Machine.StartAsync(image, options, CancellationToken.None);
        Assert.True(saver.Restored);
        log.Clear(); // the saver's own start created the first snapshot
        var saved = new List<SnapshotInfo>();
        var restores = 0;
        using var saving = new CancellationTokenSource();

        async Task StartLoopAsync()
        {
            while (!saving.IsCancellationRequested)
            {
                await using var vm = await Machine.StartAsync(image, options, CancellationToken.None);
                Assert.True(vm.Restored, "every start restores: nothing judged the snapshot invalid");
                Interlocked.Increment(ref restores);
            }
        }

        var starters = new[] { Task.Run(StartLoopAsync), Task.Run(StartLoopAsync), Task.Run(StartLoopAsync) };
        try
        {
            for (var i = 0; i < 3; i++)
            {
                // What `boot --save` calls: the same lock first-run creation takes, then one rename.
                saved.Add(await saver.SaveBootSnapshotAsync(options, CancellationToken.None));
            }
        }
        finally
        {
            saving.Cancel();
            await Task.WhenAll(starters);
        }

        Assert.True(restores >= 3, $"the starters raced the saves ({restores} restores)");
        Assert.DoesNotContain(log.Lines, l => l.Contains("discarding", StringComparison.Ordinal) || l.Contains("removed", StringComparison.Ordinal) || l.Contains("creating", StringComparison.Ordinal));
        Assert.Equal(saved[^1], Snapshots.ReadMeta(image.BootSnapshotPath(image.Manifest.MemoryMb)));
    }

    [Fact]
    public async Task Concurrent_first_runs_build_the_boot_snapshot_once_and_both_succeed()
    {
        var name = "it-concurrent-" + Guid.NewGuid().ToString("N")[..8];
        await _tiny.BuildAsync(name);
        var first = CliRunner.RunAsync(["run", "--image", name, "--", "echo", "one"]);
        var second = CliRunner.RunAsync(["run", "--image", name, "--", "echo", "two"]);
        var results = await Task.WhenAll(first, second);
        Assert.Equal(("one\n", 0), (results[0].Stdout, results[0].ExitCode));
        Assert.Equal(("two\n", 0), (results[1].Stdout, results[1].ExitCode));
        var creations = results.Sum(r => r.Stderr.Split('\n').Count(l => l.Contains("creating the boot snapshot", StringComparison.Ordinal)));
        Assert.Equal(1, creations);
    }
}
