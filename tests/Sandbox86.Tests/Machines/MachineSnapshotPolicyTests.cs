using Sandbox86.TestSupport;
using System.Diagnostics;
using Sandbox86.Guest;
using Sandbox86.Images.Store;
using Sandbox86.Machines;

namespace Sandbox86.Tests.Machines;

/// <summary>
/// <see cref="Machine.StartAsync"/>'s snapshot policy against scripted workers: no Node, no guest, so
/// every branch (make the boot snapshot, restore it, fall back to a cold boot, discard what is corrupt,
/// fail fast on a panic, refuse impossible memory sizes) runs in milliseconds.
/// </summary>
public sealed class MachineSnapshotPolicyTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sandbox86-policy-").FullName;
    private readonly StoredImage _image;
    private readonly ListLogger _log = new();

    public MachineSnapshotPolicyTests()
    {
        _image = FakeImage.Create(_root);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Unit => _image.BootSnapshotPath(256);

    private string State => Path.Combine(Unit, StoredImage.SnapshotStateFile);

    private string Meta => Path.Combine(Unit, StoredImage.SnapshotMetaFile);

    private MachineOptions Options(ScriptedWorkers workers) => new()
    {
        WorkerFactory = workers.StartAsync,
        Watchdog = null,
        Logger = _log,
    };

    private static async Task<Machine> StartAsync(StoredImage image, MachineOptions options)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await Machine.StartAsync(image, options, cts.Token);
    }

    private async Task MakeBootSnapshotAsync()
    {
        var workers = new ScriptedWorkers(new WorkerScript(), new WorkerScript());
        await using var machine = await StartAsync(_image, Options(workers));
        Assert.True(machine.Restored);
    }

    [Fact]
    public async Task The_first_start_cold_boots_once_saves_the_boot_snapshot_and_restores_exactly_those_bytes()
    {
        var script = new WorkerScript();
        var workers = new ScriptedWorkers(new WorkerScript(), script);
        await using (var machine = await StartAsync(_image, Options(workers)))
        {
            Assert.True(machine.Restored);
            Assert.Equal(0, (await machine.Agent.ExecAsync(new ExecRequest { Shell = "true" })).ExitCode);
        }

        var boot = Assert.Single(workers.Started, w => w.Config is { Restore: false });
        var restore = Assert.Single(workers.Started, w => w.Config is { Restore: true });
        // Drop caches + warm-up before the save; the restore gets the saved raw state back through zstd and the digest check.
        Assert.Equal(2, boot.ExecCount);
        Assert.Equal(script.RawState, restore.RestoredState);
        Assert.True(File.Exists(State) && File.Exists(Meta));
        Assert.Contains(_log.Lines, l => l.Contains("creating the boot snapshot", StringComparison.Ordinal));

        // The next start restores at once: one worker, no cold boot.
        var again = new ScriptedWorkers(new WorkerScript());
        await using var second = await StartAsync(_image, Options(again));
        Assert.True(second.Restored);
        Assert.Single(again.Started);
    }

    [Fact]
    public async Task A_restore_that_fails_removes_the_boot_snapshot_and_cold_boots_instead()
    {
        await MakeBootSnapshotAsync();
        var workers = new ScriptedWorkers(new WorkerScript { FailStart = true }, new WorkerScript());
        await using var machine = await StartAsync(_image, Options(workers));

        Assert.False(machine.Restored);
        Assert.Equal(2, workers.Started.Count);
        Assert.True(workers.Started[0].Config!.Restore);
        Assert.False(workers.Started[1].Config!.Restore);
        Assert.False(File.Exists(State));
        Assert.False(Directory.Exists(Unit), "the whole snapshot unit is removed");
        Assert.Contains(_log.Lines, l => l.Contains("restoring the boot snapshot failed (v86 start failed: scripted failure)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_worker_that_cannot_start_fails_the_start_and_keeps_the_boot_snapshot()
    {
        await MakeBootSnapshotAsync();
        var digest = File.ReadAllText(Meta);
        var options = Options(new ScriptedWorkers()) with
        {
            WorkerFactory = _ => Task.FromException<Sandbox86.Machines.Worker.IWorkerConnection>(
                new Sandbox86.Machines.Worker.WorkerException("the VM worker exited (code 1): Cannot find package 'v86'")),
        };

        var error = await Assert.ThrowsAsync<Sandbox86.Machines.Worker.WorkerException>(() => StartAsync(_image, options));
        Assert.Contains("Cannot find package 'v86'", error.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(State), "a broken install must not delete a valid snapshot");
        Assert.Equal(digest, File.ReadAllText(Meta));
    }

    [Fact]
    public async Task A_state_whose_bytes_do_not_match_its_digest_is_never_handed_to_v86_and_is_replaced_by_a_cold_boot()
    {
        await MakeBootSnapshotAsync();
        var bytes = File.ReadAllBytes(State);
        bytes[bytes.Length / 2] ^= 0xFF; // same length: only the digest can tell
        File.WriteAllBytes(State, bytes);

        var workers = new ScriptedWorkers(new WorkerScript(), new WorkerScript());
        await using var machine = await StartAsync(_image, Options(workers));

        Assert.False(machine.Restored);
        Assert.All(workers.Started, w => Assert.Null(w.RestoredState));
        Assert.False(File.Exists(State));
        Assert.Contains(_log.Lines, l => l.Contains("corrupt or truncated", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_corrupt_sidecar_discards_the_snapshot_and_a_new_one_is_made_and_restored()
    {
        await MakeBootSnapshotAsync();
        File.WriteAllText(Meta, "{ not json");

        var workers = new ScriptedWorkers(new WorkerScript(), new WorkerScript());
        await using var machine = await StartAsync(_image, Options(workers));

        Assert.True(machine.Restored);
        Assert.Contains(_log.Lines, l => l.Contains("without a readable meta.json", StringComparison.Ordinal));
        Assert.Equal(_image.Manifest.BuildId, Snapshots.ReadMeta(Unit)?.ImageBuildId);
        Assert.Single(workers.Started, w => w.Config is { Restore: false });
    }

    [Fact]
    public async Task A_kernel_panic_on_the_console_fails_the_boot_at_once_even_when_the_marker_is_split_across_chunks()
    {
        var workers = new ScriptedWorkers(new WorkerScript
        {
            AgentAnswers = false,
            Serial = ["[    1.2] VFS: Unable to mount root fs\n[    1.3] Kernel pa", "nic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n"],
        });
        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<MachineException>(() => StartAsync(_image, Options(workers) with { Cold = true, BootTimeout = TimeSpan.FromSeconds(60) }));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}: the panic was not detected, the boot timeout was waited out");
        Assert.Contains("panicked during boot", error.Message, StringComparison.Ordinal);
        Assert.Contains("not syncing", error.Message, StringComparison.Ordinal);
        Assert.True(workers.Started[0].HasExited);
    }

    [Fact]
    public async Task A_guest_that_never_answers_fails_with_the_boot_timeout_and_its_console_tail()
    {
        var workers = new ScriptedWorkers(new WorkerScript { AgentAnswers = false, Serial = ["init: waiting for something\n"] });
        var error = await Assert.ThrowsAsync<MachineException>(() => StartAsync(_image, Options(workers) with { Cold = true, BootTimeout = TimeSpan.FromMilliseconds(500) }));
        Assert.Contains("did not answer", error.Message, StringComparison.Ordinal);
        Assert.Contains("waiting for something", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(32)]
    [InlineData(64)] // 64 MB is v86's floor, but the 1 MB initrd must fit on top of it
    [InlineData(4096)]
    public async Task Memory_outside_what_v86_can_run_is_refused_before_any_worker_starts(int memoryMb)
    {
        var workers = new ScriptedWorkers();
        var error = await Assert.ThrowsAsync<MachineException>(() => StartAsync(_image, Options(workers) with { MemoryMb = memoryMb, Cold = true }));
        Assert.Contains("out of range", error.Message, StringComparison.Ordinal);
        Assert.Empty(workers.Started);
    }

    [Fact]
    public async Task The_smallest_memory_that_fits_is_given_to_the_worker()
    {
        var workers = new ScriptedWorkers(new WorkerScript());
        await using var machine = await StartAsync(_image, Options(workers) with { MemoryMb = 65, Cold = true });
        Assert.Equal(65, workers.Started[0].Config!.MemoryMb);
    }
}
