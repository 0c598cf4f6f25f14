using System.Text.Json;
using Sandbox86.Images.Store;
using Sandbox86.Machines;
using Sandbox86.Tests.Images.Store;

namespace Sandbox86.Tests.Machines;

/// <summary>A snapshot is one directory published with one rename, and only the unit judged is ever discarded.</summary>
public sealed class SnapshotUnitTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("sandbox86-snap-");

    public void Dispose() => _root.Delete(recursive: true);

    private StoredImage Image()
    {
        StoredImage.WriteManifest(_root.FullName, ImageStoreTests.Manifest("snap", "b1"));
        return StoredImage.Load(_root.FullName);
    }

    private static string Unit(string parent, string digest)
    {
        var work = Path.Combine(parent, $".work.{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        File.WriteAllText(Path.Combine(work, StoredImage.SnapshotStateFile), digest);
        var info = new SnapshotInfo { ImageBuildId = "b1", MemoryMb = 96, Created = DateTimeOffset.UtcNow, RawBytes = 1, CompressedBytes = digest.Length, Digest = digest };
        File.WriteAllBytes(Path.Combine(work, StoredImage.SnapshotMetaFile), JsonSerializer.SerializeToUtf8Bytes(info, ImageJsonContext.Default.SnapshotInfo));
        return work;
    }

    [Fact]
    public async Task Replacing_a_snapshot_never_leaves_the_name_without_a_whole_unit()
    {
        var image = Image();
        var path = image.BootSnapshotPath(96);
        Directory.CreateDirectory(image.SnapshotDirectory);
        Snapshots.Publish(Unit(image.SnapshotDirectory, "d0"), path);
        using var stop = new CancellationTokenSource();
        var missing = 0;
        var reads = 0;
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                // Each unit's meta.json exists from the moment its directory has the name.
                if (Snapshots.ReadMeta(path) is null)
                {
                    Interlocked.Increment(ref missing);
                }

                Interlocked.Increment(ref reads);
                reading.TrySetResult();
            }
        });
        // On a loaded machine the reader may start late: replace only while it is really reading.
        await reading.Task.WaitAsync(TimeSpan.FromSeconds(30));
        for (var i = 1; i <= 300; i++)
        {
            var work = Unit(image.SnapshotDirectory, "d" + i);
            Snapshots.Publish(work, path);
            // After an exchange the work path holds the replaced unit; the caller deletes it.
            ImageStore.TryDeleteDirectory(work);
        }

        stop.Cancel();
        await reader;
        Assert.True(reads > 0);
        Assert.Equal(0, missing);
        Assert.Equal("d300", Snapshots.ReadMeta(path)!.Digest);
        Assert.Equal(["boot-96m"], Directory.EnumerateFileSystemEntries(image.SnapshotDirectory).Select(Path.GetFileName).Where(n => !n!.StartsWith(".boot", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_discard_deletes_the_unit_it_judged_but_never_one_saved_after_the_judgment()
    {
        var image = Image();
        var path = image.BootSnapshotPath(96);
        Directory.CreateDirectory(image.SnapshotDirectory);
        Snapshots.Publish(Unit(image.SnapshotDirectory, "judged"), path);
        var judged = new SnapshotRef(path, Snapshots.ReadMeta(path)!);

        // A concurrent save replaced the unit after it was judged bad: it stays.
        Snapshots.Publish(Unit(image.SnapshotDirectory, "fresh"), path);
        await Snapshots.DiscardIfUnchangedAsync(image, 96, judged, CancellationToken.None);
        Assert.Equal("fresh", Snapshots.ReadMeta(path)!.Digest);

        // The same unit it judged goes.
        var again = new SnapshotRef(path, Snapshots.ReadMeta(path)!);
        await Snapshots.DiscardIfUnchangedAsync(image, 96, again, CancellationToken.None);
        Assert.False(Directory.Exists(path));
    }

    [Fact]
    public async Task A_discard_while_a_writer_holds_the_boot_lock_deletes_nothing()
    {
        var image = Image();
        var path = image.BootSnapshotPath(96);
        Directory.CreateDirectory(image.SnapshotDirectory);
        Snapshots.Publish(Unit(image.SnapshotDirectory, "judged"), path);
        var judged = new SnapshotRef(path, Snapshots.ReadMeta(path)!);
        using (await Sandbox86.Util.FileLock.AcquireAsync(image.BootSnapshotLockPath(96), TimeSpan.FromSeconds(5), null, CancellationToken.None))
        {
            await Snapshots.DiscardIfUnchangedAsync(image, 96, judged, CancellationToken.None);
        }

        Assert.True(Directory.Exists(path));
    }
}
