using System.Security.Cryptography;
using System.Text.Json;
using Sandbox86.Guest;
using Sandbox86.Images.Fs;
using Sandbox86.Images.Store;

namespace Sandbox86.Machines;

/// <summary>
/// Saved VM states. A snapshot is one directory, <c>state.zst</c> (v86's state, zstd) plus
/// <c>meta.json</c> (image build, memory size, SHA-256), built aside and published with one rename
/// (<c>renameat2(RENAME_EXCHANGE)</c> when one already exists), so a reader never finds a state without
/// its sidecar. Boot snapshots live in their build's directory, so a rebuilt image never pairs with an
/// old state. Every writer of a boot snapshot holds its lock; a reader that finds it invalid deletes it
/// only under that lock and only if it still holds the unit that reader judged.
/// </summary>
internal static class Snapshots
{
    /// <summary>zstd level: 19 gives ~18 MB for a booted 256 MB guest but takes long; this is the measured compromise.</summary>
    internal const int CompressionLevel = 12;

    /// <summary>
    /// zstd level for a machine's own state (pause, fork): written once and read once, so speed wins over
    /// size. The boot snapshot keeps <see cref="CompressionLevel"/>: it is written once and restored by
    /// every start.
    /// </summary>
    internal const int PauseCompressionLevel = 1;

    private static readonly TimeSpan BootLockTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Run before a snapshot is saved, after the page cache was dropped; failures are ignored.</summary>
    internal const string WarmUpScript =
        "/bin/true; echo >/dev/null; env >/dev/null; ls / >/dev/null; cat /dev/null; " +
        // E2B runs every command as a login bash: 1.7 s for the first one after a restore when cold.
        "if [ -x /bin/bash ]; then /bin/bash -l -c true; fi; " +
        "if command -v python3 >/dev/null; then python3 -c 'import os, sys, json, subprocess' >/dev/null 2>&1; fi; true";

    public static SnapshotInfo? ReadMeta(string snapshotDirectory)
    {
        try
        {
            using var stream = File.OpenRead(Path.Combine(snapshotDirectory, StoredImage.SnapshotMetaFile));
            return JsonSerializer.Deserialize(stream, ImageJsonContext.Default.SnapshotInfo);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Checks an explicitly given snapshot directory against the image; throws a clear error when it does not belong.</summary>
    public static SnapshotRef ValidateExplicit(StoredImage image, string snapshotDirectory, int memoryMb)
    {
        if (!File.Exists(Path.Combine(snapshotDirectory, StoredImage.SnapshotStateFile)))
        {
            throw new MachineException($"snapshot not found: {snapshotDirectory} (a snapshot is a directory holding {StoredImage.SnapshotStateFile} and {StoredImage.SnapshotMetaFile})");
        }

        var info = ReadMeta(snapshotDirectory) ?? throw new MachineException($"snapshot {snapshotDirectory} has no readable {StoredImage.SnapshotMetaFile}");
        if (info.ImageBuildId != image.Manifest.BuildId)
        {
            throw new MachineException($"snapshot {snapshotDirectory} was saved from another build of image '{image.Name}' (build {Short(info.ImageBuildId)}, image is now {Short(image.Manifest.BuildId)}): it cannot be restored; save a new one");
        }

        if (info.MemoryMb != memoryMb)
        {
            throw new MachineException($"snapshot {snapshotDirectory} was saved with {info.MemoryMb} MB of memory, not {memoryMb} MB");
        }

        return new SnapshotRef(snapshotDirectory, info);
    }

    private static string Short(string id) => id.Length > 8 ? id[..8] : id;

    public static async Task<SnapshotRef> EnsureBootSnapshotAsync(StoredImage image, int memoryMb, MachineOptions options, CancellationToken cancellationToken)
    {
        var path = image.BootSnapshotPath(memoryMb, options.ConsoleShell);
        // Unlocked fast path: judge, never delete (a writer may be publishing right now).
        if (Judge(image, path, memoryMb, out _) is { } existing)
        {
            return existing;
        }

        using var fileLock = await AcquireBootLockAsync(image, memoryMb, options, cancellationToken);
        // Under the lock no writer can change the unit, so what is judged now is what would be deleted.
        if (Judge(image, path, memoryMb, out var problem) is { } madeMeanwhile)
        {
            return madeMeanwhile;
        }

        if (problem is not null)
        {
            MachineLog.SnapshotDiscarded(options.Logger, Path.GetFileName(path), problem);
            DeleteUnit(path);
        }

        MachineLog.CreatingBootSnapshot(options.Logger, image.Name, memoryMb);
        await using var machine = await Machine.LaunchAsync(image, memoryMb, null, options with { Mounts = [] }, cancellationToken);
        return new SnapshotRef(path, await SaveAsync(machine, path, prepare: true, CompressionLevel, cancellationToken));
    }

    /// <summary>
    /// Saves a running machine's state as its build's boot snapshot (<c>boot --save</c>), under the same
    /// lock first-run creation takes, so concurrent starts never judge a half-replaced snapshot.
    /// </summary>
    public static async Task<SnapshotInfo> SaveBootSnapshotAsync(Machine machine, MachineOptions options, CancellationToken cancellationToken)
    {
        using var fileLock = await AcquireBootLockAsync(machine.Image, machine.MemoryMb, options, cancellationToken);
        return await SaveAsync(machine, machine.Image.BootSnapshotPath(machine.MemoryMb, options.ConsoleShell), prepare: true, CompressionLevel, cancellationToken);
    }

    private static Task<Util.FileLock> AcquireBootLockAsync(StoredImage image, int memoryMb, MachineOptions options, CancellationToken cancellationToken) =>
        Util.FileLock.AcquireAsync(image.BootSnapshotLockPath(memoryMb, options.ConsoleShell), BootLockTimeout,
            () => MachineLog.WaitingForBootSnapshot(options.Logger), cancellationToken);

    /// <summary>A usable snapshot, or null with the reason it is not (null reason: there is none).</summary>
    private static SnapshotRef? Judge(StoredImage image, string path, int memoryMb, out string? problem)
    {
        problem = null;
        if (!Directory.Exists(path))
        {
            return null;
        }

        var info = ReadMeta(path);
        var state = new FileInfo(Path.Combine(path, StoredImage.SnapshotStateFile));
        // The digest is checked while the state is decompressed for the restore (in parallel with the
        // worker's start-up), not here on the critical path; a mismatch there falls back to a cold boot.
        problem = info is null ? "without a readable meta.json"
            : info.ImageBuildId != image.Manifest.BuildId ? "from another build"
            : info.MemoryMb != memoryMb ? "for another memory size"
            : !state.Exists || state.Length != info.CompressedBytes ? "corrupt (size mismatch)"
            : null;
        return problem is null ? new SnapshotRef(path, info!) : null;
    }

    /// <summary>
    /// After a restore from <paramref name="judged"/> failed: deletes the boot snapshot, but only under
    /// its lock and only if the directory still holds that very unit (a concurrent save may have
    /// replaced it with a good one). When the lock is busy, a writer is replacing it anyway.
    /// </summary>
    public static Task DiscardIfUnchangedAsync(StoredImage image, int memoryMb, SnapshotRef judged, CancellationToken cancellationToken) =>
        DiscardIfUnchangedAsync(image, memoryMb, judged, consoleShell: false, cancellationToken);

    /// <inheritdoc cref="DiscardIfUnchangedAsync(StoredImage, int, SnapshotRef, CancellationToken)"/>
    public static async Task DiscardIfUnchangedAsync(StoredImage image, int memoryMb, SnapshotRef judged, bool consoleShell, CancellationToken cancellationToken)
    {
        Util.FileLock fileLock;
        try
        {
            fileLock = await Util.FileLock.AcquireAsync(image.BootSnapshotLockPath(memoryMb, consoleShell), TimeSpan.Zero, null, cancellationToken);
        }
        catch (TimeoutException)
        {
            return;
        }

        using (fileLock)
        {
            if (ReadMeta(judged.Directory) == judged.Info)
            {
                DeleteUnit(judged.Directory);
            }
        }
    }

    /// <summary>Removes a snapshot directory: renamed aside first, so the name is never half-deleted.</summary>
    private static void DeleteUnit(string path)
    {
        var aside = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.dead.{Environment.ProcessId}.{Guid.NewGuid():N}");
        try
        {
            Directory.Move(path, aside);
        }
        catch (DirectoryNotFoundException)
        {
            return;
        }

        ImageStore.TryDeleteDirectory(aside);
    }

    /// <summary>Whether bytes already read match the size and digest a sidecar recorded.</summary>
    public static bool DigestMatches(SnapshotInfo info, ReadOnlySpan<byte> compressed) =>
        compressed.Length == info.CompressedBytes && "sha256:" + Convert.ToHexStringLower(SHA256.HashData(compressed)) == info.Digest;

    // prepare: for a boot snapshot, drop the guest's page cache and warm the few files every command
    // needs first. A paused sandbox is saved as it is (its cache is the user's, and the save should be quick).
    public static async Task<SnapshotInfo> SaveAsync(Machine machine, string path, bool prepare, int compressionLevel, CancellationToken cancellationToken)
    {
        // Live mounts leave the guest for the save and come back after it (Machine.Mounts.cs says why).
        var mounts = await machine.DetachMountsAsync(cancellationToken);
        try
        {
            return await SaveDetachedAsync(machine, path, prepare, compressionLevel, cancellationToken);
        }
        finally
        {
            await machine.AttachMountsAsync(mounts, CancellationToken.None);
        }
    }

    private static async Task<SnapshotInfo> SaveDetachedAsync(Machine machine, string path, bool prepare, int compressionLevel, CancellationToken cancellationToken)
    {
        if (prepare)
        {
            // Dropping the page cache before saving shrinks the state by tens of MB (DESIGN.md).
            await machine.Agent.ExecAsync(new ExecRequest { Shell = "sync; echo 3 > /proc/sys/vm/drop_caches", Timeout = TimeSpan.FromSeconds(30) }, cancellationToken);
            // ...then bring back what nearly every command needs (the dynamic loader, libc, the shell and
            // python3 when the image has it): a restored guest would otherwise fetch and inflate them over
            // 9p on its first exec, which measured 0.3-0.5 s of the first command's start.
            await machine.Agent.ExecAsync(new ExecRequest { Shell = WarmUpScript, Timeout = TimeSpan.FromSeconds(60) }, cancellationToken);
        }

        path = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var parent = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(parent);
        var work = Path.Combine(parent, $".{Path.GetFileName(path)}.tmp.{Environment.ProcessId}.{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            var raw = RawSavePath(work, machine.MemoryMb);
            var compressed = Path.Combine(work, StoredImage.SnapshotStateFile);
            string digest;
            long compressedBytes;
            long rawBytes;
            try
            {
                Util.PhaseTrace.Mark("save: begin");
                rawBytes = await machine.SaveRawStateAsync(raw, cancellationToken);
                Util.PhaseTrace.Mark("save: raw state written by the worker");
                await using var input = new FileStream(raw, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
                await using var file = new FileStream(compressed, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
                await using var output = new DigestingStream(file);
                await Task.Run(() => Zstd.CompressStream(input, output, compressionLevel, input.Length), cancellationToken);
                file.Flush(flushToDisk: true);
                Util.PhaseTrace.Mark("save: compressed, hashed and fsynced");
                digest = output.Digest();
                compressedBytes = output.BytesWritten;
            }
            finally
            {
                Util.AtomicFile.TryDelete(raw);
            }

            var info = new SnapshotInfo
            {
                ImageBuildId = machine.Image.Manifest.BuildId,
                MemoryMb = machine.MemoryMb,
                Created = DateTimeOffset.UtcNow,
                RawBytes = rawBytes,
                CompressedBytes = compressedBytes,
                Digest = digest,
            };
            Util.AtomicFile.WriteAllBytes(Path.Combine(work, StoredImage.SnapshotMetaFile), JsonSerializer.SerializeToUtf8Bytes(info, ImageJsonContext.Default.SnapshotInfo));
            Publish(work, path);
            Util.PhaseTrace.Mark("save: published");
            return info;
        }
        finally
        {
            // After an exchange with an old unit (or an old single file) work holds that.
            ImageStore.TryDeleteDirectory(work);
            Util.AtomicFile.TryDelete(work);
        }
    }

    /// <summary>
    /// Where the worker writes the uncompressed state: RAM-backed /dev/shm when it has room (writing the
    /// ~100 MB of a paused 256 MB guest to the disk's page cache took ~1 s of a 4 s pause under load),
    /// else the snapshot's own work directory. Either way it is deleted once compressed.
    /// </summary>
    private static string RawSavePath(string work, int memoryMb)
    {
        const string shm = "/dev/shm";
        try
        {
            // The state is at most the guest's RAM plus device state; keep the same again free for others.
            var needed = 2L * (memoryMb + 64) * 1024 * 1024;
            if (Directory.Exists(shm) && new DriveInfo(shm).AvailableFreeSpace > needed)
            {
                return Path.Combine(shm, $"sandbox86-save-{Environment.ProcessId}-{Guid.NewGuid():N}.raw");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // No usable /dev/shm: fall through to the disk.
        }

        return Path.Combine(work, "state.raw");
    }

    /// <summary>Puts a finished snapshot directory at <paramref name="path"/> in one rename.</summary>
    internal static void Publish(string work, string path)
    {
        if (StoreNative.TryExchange(work, path))
        {
            // work now holds the replaced unit; the caller's cleanup deletes it.
            return;
        }

        if (Directory.Exists(path) || File.Exists(path))
        {
            // No RENAME_EXCHANGE here: move the old unit aside first (writers hold the lock, so no one
            // else publishes in between; readers see no snapshot for a moment and wait for the lock).
            var aside = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.old.{Environment.ProcessId}.{Guid.NewGuid():N}");
            StoreNative.Rename(path, aside);
            Directory.Move(work, path);
            if (Directory.Exists(aside))
            {
                ImageStore.TryDeleteDirectory(aside);
            }
            else
            {
                Util.AtomicFile.TryDelete(aside);
            }

            return;
        }

        Directory.Move(work, path);
    }
}
