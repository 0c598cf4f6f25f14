using System.Security.Cryptography;
using System.Text.Json;
using Sandbox86.Guest;
using Sandbox86.Images.Fs;
using Sandbox86.Images.Store;

namespace Sandbox86.Machines;

/// <summary>
/// Saved VM states: <c>NAME.state.zst</c> (v86's state, zstd) plus <c>NAME.state.zst.json</c> naming the
/// image build, memory size and digest. A state is only restored into the exact build it came from;
/// a digest mismatch (truncated, corrupt) discards the boot snapshot and falls back to a cold boot.
/// </summary>
internal static class Snapshots
{
    /// <summary>zstd level: 19 gives ~18 MB for a booted 256 MB guest but takes long; this is the measured compromise.</summary>
    internal const int CompressionLevel = 12;

    public static string SidecarPath(string statePath) => statePath + ".json";

    /// <summary>Run before a snapshot is saved, after the page cache was dropped; failures are ignored.</summary>
    internal const string WarmUpScript =
        "/bin/true; echo >/dev/null; env >/dev/null; ls / >/dev/null; cat /dev/null; " +
        "if command -v python3 >/dev/null; then python3 -c 'import os, sys, json, subprocess' >/dev/null 2>&1; fi; true";

    public static SnapshotInfo? ReadSidecar(string statePath)
    {
        try
        {
            using var stream = File.OpenRead(SidecarPath(statePath));
            return JsonSerializer.Deserialize(stream, ImageJsonContext.Default.SnapshotInfo);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Checks an explicitly given state against the image; throws a clear error when it does not belong.</summary>
    public static SnapshotRef ValidateExplicit(StoredImage image, string statePath, int memoryMb)
    {
        if (!File.Exists(statePath))
        {
            throw new MachineException($"snapshot not found: {statePath}");
        }

        var info = ReadSidecar(statePath) ?? throw new MachineException($"snapshot {statePath} has no readable sidecar {SidecarPath(statePath)}");
        if (info.ImageBuildId != image.Manifest.BuildId)
        {
            throw new MachineException($"snapshot {statePath} was saved from another build of image '{image.Name}' (build {info.ImageBuildId[..8]}, image is now {image.Manifest.BuildId[..8]}): it cannot be restored; save a new one");
        }

        if (info.MemoryMb != memoryMb)
        {
            throw new MachineException($"snapshot {statePath} was saved with {info.MemoryMb} MB of memory, not {memoryMb} MB");
        }

        return new SnapshotRef(statePath, info);
    }

    public static async Task<SnapshotRef> EnsureBootSnapshotAsync(StoredImage image, int memoryMb, MachineOptions options, CancellationToken cancellationToken)
    {
        var path = image.BootSnapshotPath(memoryMb);
        if (LoadValid(image, path, memoryMb, options) is { } existing)
        {
            return existing;
        }

        Directory.CreateDirectory(image.SnapshotDirectory);
        var lockPath = Path.Combine(image.SnapshotDirectory, $".boot-{memoryMb}m.lock");
        using var fileLock = await Util.FileLock.AcquireAsync(lockPath, TimeSpan.FromMinutes(10),
            () => options.Log?.Invoke("waiting for another process to finish the boot snapshot"), cancellationToken);
        if (LoadValid(image, path, memoryMb, options) is { } madeMeanwhile)
        {
            return madeMeanwhile;
        }

        options.Log?.Invoke($"creating the boot snapshot for '{image.Name}' ({memoryMb} MB): one cold boot, once");
        await using var machine = await Machine.LaunchAsync(image, memoryMb, null, options, cancellationToken);
        return new SnapshotRef(path, await SaveAsync(machine, path, cancellationToken));
    }

    private static SnapshotRef? LoadValid(StoredImage image, string path, int memoryMb, MachineOptions options)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var info = ReadSidecar(path);
        // The digest is checked while the state is decompressed for the restore (in parallel with the
        // worker's start-up), not here on the critical path; a mismatch there falls back to a cold boot.
        if (info is null || info.ImageBuildId != image.Manifest.BuildId || info.MemoryMb != memoryMb || new FileInfo(path).Length != info.CompressedBytes)
        {
            options.Log?.Invoke($"the boot snapshot {Path.GetFileName(path)} is stale or corrupt: discarding it (cold boot)");
            Discard(image, memoryMb);
            return null;
        }

        return new SnapshotRef(path, info);
    }

    public static void Discard(StoredImage image, int memoryMb)
    {
        var path = image.BootSnapshotPath(memoryMb);
        Util.AtomicFile.TryDelete(SidecarPath(path));
        Util.AtomicFile.TryDelete(path);
    }

    /// <summary>Checks bytes already read against the digest its sidecar recorded.</summary>
    public static void RequireDigest(SnapshotRef state, ReadOnlySpan<byte> compressed)
    {
        if (compressed.Length != state.Info.CompressedBytes || "sha256:" + Convert.ToHexStringLower(SHA256.HashData(compressed)) != state.Info.Digest)
        {
            throw new MachineException($"snapshot {state.Path} is corrupt or truncated (digest mismatch)");
        }
    }

    public static async Task<SnapshotInfo> SaveAsync(Machine machine, string path, CancellationToken cancellationToken)
    {
        // Dropping the page cache before saving shrinks the state by tens of MB (DESIGN.md).
        await machine.Agent.ExecAsync(new ExecRequest { Shell = "sync; echo 3 > /proc/sys/vm/drop_caches", Timeout = TimeSpan.FromSeconds(30) }, cancellationToken);
        // ...then bring back what nearly every command needs (the dynamic loader, libc, the shell and
        // python3 when the image has it): a restored guest would otherwise fetch and inflate them over
        // 9p on its first exec, which measured 0.3-0.5 s of the first command's start.
        await machine.Agent.ExecAsync(new ExecRequest { Shell = WarmUpScript, Timeout = TimeSpan.FromSeconds(60) }, cancellationToken);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var raw = Util.AtomicFile.TempPathFor(path) + ".raw";
        var compressed = Util.AtomicFile.TempPathFor(path);
        try
        {
            var rawBytes = await machine.SaveRawStateAsync(raw, cancellationToken);
            await using (var input = File.OpenRead(raw))
            await using (var output = new FileStream(compressed, FileMode.CreateNew, FileAccess.Write))
            {
                await Task.Run(() => Zstd.CompressStream(input, output, CompressionLevel, input.Length), cancellationToken);
                output.Flush(flushToDisk: true);
            }

            string digest;
            long compressedBytes;
            await using (var check = File.OpenRead(compressed))
            {
                compressedBytes = check.Length;
                digest = "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(check, cancellationToken));
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
            Util.AtomicFile.Commit(compressed, path);
            Util.AtomicFile.WriteAllBytes(SidecarPath(path), JsonSerializer.SerializeToUtf8Bytes(info, ImageJsonContext.Default.SnapshotInfo));
            return info;
        }
        finally
        {
            Util.AtomicFile.TryDelete(raw);
            Util.AtomicFile.TryDelete(compressed);
        }
    }
}
