using Sandbox86.Images.Store;

namespace Sandbox86.Machines;

/// <summary>
/// Decompressed boot snapshots, one raw file per (snapshot, memory) in /dev/shm, shared by every restore
/// of a long-lived host while <see cref="Worker.WorkerPrespawn.Keeping"/>: a restore then skips the native
/// zstd pass over ~45 MB, which with a primed spare worker would be the longest step left before v86's
/// restore. A snapshot that is replaced (another digest) drops its old file; at most
/// <see cref="MaxEntries"/> are kept.
/// </summary>
internal static class BootStateCache
{
    private const int MaxEntries = 4;
    private static readonly Lock Gate = new();
    private static readonly List<(string Directory, SnapshotInfo Info, int MemoryMb, Task<string> Raw)> Entries = [];

    /// <summary>The shared raw file of <paramref name="state"/>, decompressed on first use.</summary>
    public static Task<string> GetAsync(SnapshotRef state, int memoryMb, CancellationToken cancellationToken)
    {
        Task<string> raw;
        var stale = new List<Task<string>>();
        lock (Gate)
        {
            var index = Entries.FindIndex(e => e.Directory == state.Directory && e.MemoryMb == memoryMb);
            if (index >= 0 && Entries[index].Info == state.Info && !Entries[index].Raw.IsFaulted && !Entries[index].Raw.IsCanceled)
            {
                return Entries[index].Raw;
            }

            if (index >= 0)
            {
                stale.Add(Entries[index].Raw);
                Entries.RemoveAt(index);
            }

            if (Entries.Count >= MaxEntries)
            {
                stale.Add(Entries[0].Raw);
                Entries.RemoveAt(0);
            }

            raw = Task.Run(() => RawState.Decompress(state, memoryMb), CancellationToken.None);
            Entries.Add((state.Directory, state.Info, memoryMb, raw));
        }

        foreach (var old in stale)
        {
            _ = RawState.DeleteQuietlyAsync(old);
        }

        return raw.WaitAsync(cancellationToken);
    }

    /// <summary>Drops the entry of <paramref name="state"/> (its snapshot was found bad and discarded).</summary>
    public static void Forget(SnapshotRef state, int memoryMb)
    {
        Task<string>? gone = null;
        lock (Gate)
        {
            var index = Entries.FindIndex(e => e.Directory == state.Directory && e.MemoryMb == memoryMb);
            if (index >= 0)
            {
                gone = Entries[index].Raw;
                Entries.RemoveAt(index);
            }
        }

        _ = RawState.DeleteQuietlyAsync(gone);
    }

    /// <summary>Deletes every cached file (the host stops keeping spares).</summary>
    public static void Clear()
    {
        List<Task<string>> gone;
        lock (Gate)
        {
            gone = [.. Entries.Select(e => e.Raw)];
            Entries.Clear();
        }

        foreach (var raw in gone)
        {
            _ = RawState.DeleteQuietlyAsync(raw);
        }
    }
}
