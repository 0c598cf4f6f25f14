using Sandbox86.Images.Fs;

namespace Sandbox86.Machines;

/// <summary>A decompressed copy of a saved state for one restore, in RAM-backed /dev/shm when available.</summary>
internal static class RawState
{
    /// <summary>A state holds guest RAM plus device state; anything far beyond the RAM size is not a state.</summary>
    private const long DeviceStateAllowance = 64L * 1024 * 1024;

    public static string Decompress(SnapshotRef state, int memoryMb)
    {
        var statePath = state.StatePath;
        var directory = Directory.Exists("/dev/shm") ? "/dev/shm" : Util.SandboxPaths.Temp;
        Directory.CreateDirectory(directory);
        var raw = Path.Combine(directory, $"sandbox86-state-{Environment.ProcessId}-{Guid.NewGuid():N}.raw");
        try
        {
            var compressed = ReadMatching(state);
            if (!Zstd.IsZstdFrame(compressed))
            {
                throw new MachineException($"snapshot {statePath} is not zstd-compressed");
            }

            var bytes = Zstd.Decompress(compressed, (memoryMb * 1024L * 1024) + DeviceStateAllowance);
            File.WriteAllBytes(raw, bytes);
            return raw;
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException)
        {
            // Zstd reports a bad frame with these; the caller needs a MachineException to fall back.
            Util.AtomicFile.TryDelete(raw);
            throw new MachineException($"snapshot {statePath} is corrupt: {e.Message}", e);
        }
        catch
        {
            Util.AtomicFile.TryDelete(raw);
            throw;
        }
    }

    /// <summary>
    /// Reads the state and checks it against its digest. A <c>boot --save</c> may have replaced the unit
    /// between its judgment and this read (the two files are read by path): then the directory's
    /// meta.json has changed too, and the new unit is followed instead of being called corrupt.
    /// </summary>
    private static byte[] ReadMatching(SnapshotRef state)
    {
        var current = state;
        for (var attempt = 0; ; attempt++)
        {
            var compressed = File.ReadAllBytes(current.StatePath);
            if (Snapshots.DigestMatches(current.Info, compressed))
            {
                return compressed;
            }

            if (attempt < 3 && Snapshots.ReadMeta(state.Directory) is { } now && now != current.Info &&
                now.ImageBuildId == state.Info.ImageBuildId && now.MemoryMb == state.Info.MemoryMb)
            {
                current = state with { Info = now };
                continue;
            }

            throw new MachineException($"snapshot {state.Directory} is corrupt or truncated (digest mismatch)");
        }
    }

    public static async Task DeleteQuietlyAsync(Task<string>? raw)
    {
        if (raw is null)
        {
            return;
        }

        try
        {
            Util.AtomicFile.TryDelete(await raw);
        }
        catch (Exception e) when (e is MachineException or IOException or OperationCanceledException or Images.ImageException)
        {
            // Decompression failed: there is no file; the error surfaces elsewhere.
        }
    }
}
