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
    private const string SavingLine = "sandbox86: stopping; saving the boot snapshot (Ctrl+C again aborts)";

    private readonly TinyImageFixture _tiny;

    public BootSaveTests(TinyImageFixture tiny) => _tiny = tiny;

    [Fact]
    public async Task Ctrl_c_on_boot_no_console_save_replaces_the_boot_snapshot_and_exits_0()
    {
        var (image, snapshot, before) = await ImageWithBootSnapshotAsync();
        await using var boot = await BootSession.StartAsync(image.Name);
        await boot.SignalAsync();
        await boot.WaitForExitAsync(TimeSpan.FromMinutes(4));

        var log = boot.Stderr;
        Assert.True(boot.ExitCode == 0, $"exit {boot.ExitCode}; stderr:\n{log}");
        Assert.Contains($"saved the VM state as {image.Name}'s boot snapshot", log, StringComparison.Ordinal);
        var state = new FileInfo(Path.Combine(snapshot, StoredImage.SnapshotStateFile));
        Assert.True(state.Exists, "state.zst is there");
        var after = Snapshots.ReadMeta(snapshot);
        Assert.NotNull(after);
        Assert.True(after.Created > before.Created, $"meta.json is a new one (was {before.Created:O}, now {after.Created:O})");
        Assert.Equal(image.Manifest.BuildId, after.ImageBuildId);
        Assert.Equal(after.CompressedBytes, state.Length);
    }

    [Fact]
    public async Task A_second_ctrl_c_aborts_the_save_with_130_and_keeps_the_old_boot_snapshot()
    {
        var (image, snapshot, before) = await ImageWithBootSnapshotAsync();
        await using var boot = await BootSession.StartAsync(image.Name);
        await boot.SignalAsync();
        // Sent as soon as the save begins: dropping the guest's cache alone takes longer than this takes.
        await boot.WaitForLineAsync(SavingLine, TimeSpan.FromSeconds(60));
        await boot.SignalAsync();
        await boot.WaitForExitAsync(TimeSpan.FromMinutes(2));

        var log = boot.Stderr;
        Assert.True(boot.ExitCode == 130, $"exit {boot.ExitCode}; stderr:\n{log}");
        Assert.DoesNotContain("saved the VM state", log, StringComparison.Ordinal);
        Assert.Equal(before, Snapshots.ReadMeta(snapshot));
    }

    // An image of its own: the shared tiny image's snapshot stays as the other tests expect it.
    private async Task<(StoredImage Image, string Snapshot, SnapshotInfo Before)> ImageWithBootSnapshotAsync()
    {
        var image = await _tiny.BuildAsync("it-bootsave-" + Guid.NewGuid().ToString("N")[..8]);
        var snapshot = image.BootSnapshotPath(image.Manifest.MemoryMb);
        await using (await Machine.StartAsync(image, new MachineOptions(), CancellationToken.None))
        {
            // The first start makes the boot snapshot that boot --save replaces.
        }

        var before = Snapshots.ReadMeta(snapshot);
        Assert.NotNull(before);
        return (image, snapshot, before);
    }

    /// <summary>A running <c>boot IMAGE --no-console --save</c>, its stderr collected line by line.</summary>
    private sealed class BootSession : IAsyncDisposable
    {
        private readonly Process _cli;
        private readonly StringBuilder _stderr = new();
        private readonly List<(string Line, TaskCompletionSource Seen)> _waiters = [];
        private readonly Task _reader;
        private readonly Task<string> _stdout;

        private BootSession(Process cli)
        {
            _cli = cli;
            _stdout = cli.StandardOutput.ReadToEndAsync();
            _reader = Task.Run(ReadStderrAsync);
        }

        public int ExitCode => _cli.ExitCode;

        public string Stderr
        {
            get
            {
                lock (_stderr)
                {
                    return _stderr.ToString();
                }
            }
        }

        public static async Task<BootSession> StartAsync(string image)
        {
            var session = new BootSession(CliRunner.Start(["boot", image, "--no-console", "--save"], defaultSigint: true));
            await session.WaitForLineAsync(RunningLine, TimeSpan.FromSeconds(120));
            return session;
        }

        public async Task WaitForLineAsync(string line, TimeSpan timeout)
        {
            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_stderr)
            {
                if (_stderr.ToString().Split('\n').Any(l => l.TrimEnd('\r') == line))
                {
                    return;
                }

                _waiters.Add((line, seen));
            }

            try
            {
                await seen.Task.WaitAsync(timeout);
            }
            catch (TimeoutException)
            {
                Assert.Fail($"boot did not print '{line}' in {timeout.TotalSeconds:0}s; stderr:\n{Stderr}");
            }
        }

        public async Task SignalAsync()
        {
            using var kill = Process.Start("kill", ["-INT", _cli.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
        }

        public async Task WaitForExitAsync(TimeSpan timeout)
        {
            try
            {
                // Dropping the cache, warming up and compressing: seconds when idle, more on a loaded machine.
                await _cli.WaitForExitAsync().WaitAsync(timeout);
            }
            catch (TimeoutException)
            {
                Assert.Fail($"boot did not exit in {timeout.TotalSeconds:0}s after Ctrl+C; stderr:\n{Stderr}");
            }

            await _reader;
            await _stdout;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_cli.HasExited)
            {
                _cli.Kill(entireProcessTree: true);
                await _cli.WaitForExitAsync();
            }

            _cli.Dispose();
        }

        private async Task ReadStderrAsync()
        {
            while (await _cli.StandardError.ReadLineAsync() is { } line)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(line);
                    foreach (var waiter in _waiters.Where(w => w.Line == line))
                    {
                        waiter.Seen.TrySetResult();
                    }
                }
            }
        }
    }
}
