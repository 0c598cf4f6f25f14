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
            var compressed = File.ReadAllBytes(statePath);
            Snapshots.RequireDigest(state, compressed);
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
