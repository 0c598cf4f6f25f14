using Sandbox86.Guest;
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
        var state = Path.Combine(Path.GetTempPath(), $"sandbox86-{name}.state.zst");
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
            File.Delete(state);
            File.Delete(state + ".json");
        }
    }

    [Fact]
    public async Task A_truncated_boot_snapshot_falls_back_to_a_cold_boot_and_says_so()
    {
        var image = _tiny.Image;
        await using (var first = await Machine.StartAsync(image, new MachineOptions(), CancellationToken.None))
        {
            Assert.True(first.Restored);
        }

        var snapshot = image.BootSnapshotPath(image.Manifest.MemoryMb);
        await using (var stream = new FileStream(snapshot, FileMode.Open))
        {
            stream.SetLength(stream.Length / 2);
        }

        var log = new List<string>();
        await using var vm = await Machine.StartAsync(image, new MachineOptions { Log = log.Add }, CancellationToken.None);
        Assert.Contains(log, l => l.Contains("corrupt", StringComparison.Ordinal));
        Assert.Equal(0, (await vm.Agent.ExecAsync(ExecRequest.ForArgv("/bin/true"), CancellationToken.None)).ExitCode);
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
