using Sandbox86.Guest;
using Sandbox86.Server.Envd.Connect;
using Sandbox86.Server.Envd.Protos.Filesystem;

namespace Sandbox86.Server.Envd.Files;

/// <summary>
/// Watching by polling: the agent has no inotify, so we diff listings (name → size, mtime, mode) every
/// half second. Renames show as remove + create; changes within one interval may merge.
/// </summary>
internal sealed class DirectoryPoller(AgentClient agent, string root, bool recursive)
{
    private const int MaxEntries = 10_000;
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);
    private Dictionary<string, (long Size, DateTimeOffset Modified, int Mode)>? _last;

    /// <summary>Takes the first listing (no events), failing with not_found for a missing directory.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var info = await FilesystemService.Guard(() => agent.StatAsync(root, cancellationToken), root).ConfigureAwait(false);
        if (!info.IsDirectory)
        {
            throw new ConnectException("invalid_argument", $"path '{root}' is not a directory");
        }

        _last = await SnapshotAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<List<FilesystemEvent>> PollAsync(CancellationToken cancellationToken)
    {
        var now = await SnapshotAsync(cancellationToken).ConfigureAwait(false);
        var events = new List<FilesystemEvent>();
        var last = _last ?? [];
        foreach (var (name, state) in now)
        {
            if (!last.TryGetValue(name, out var before))
            {
                events.Add(new FilesystemEvent { Name = name, Type = EventType.Create });
            }
            else if (before.Size != state.Size || before.Modified != state.Modified)
            {
                events.Add(new FilesystemEvent { Name = name, Type = EventType.Write });
            }
            else if (before.Mode != state.Mode)
            {
                events.Add(new FilesystemEvent { Name = name, Type = EventType.Chmod });
            }
        }

        foreach (var name in last.Keys.Where(k => !now.ContainsKey(k)))
        {
            events.Add(new FilesystemEvent { Name = name, Type = EventType.Remove });
        }

        _last = now;
        return events;
    }

    private async Task<Dictionary<string, (long Size, DateTimeOffset Modified, int Mode)>> SnapshotAsync(CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, (long Size, DateTimeOffset Modified, int Mode)>(StringComparer.Ordinal);
        var pending = new Queue<string>();
        pending.Enqueue("");
        while (pending.TryDequeue(out var relative))
        {
            IReadOnlyList<AgentFileInfo> entries;
            try
            {
                entries = await agent.ListAsync(relative.Length == 0 ? root : EntryInfos.Join(root, relative), cancellationToken).ConfigureAwait(false);
            }
            catch (AgentException e) when (e.Errno is not null && relative.Length > 0)
            {
                continue; // A subdirectory vanished between listings.
            }

            foreach (var e in entries)
            {
                var name = relative.Length == 0 ? e.Name : relative + "/" + e.Name;
                result[name] = (e.Size, e.ModifiedAt, e.Mode);
                if (result.Count >= MaxEntries)
                {
                    return result;
                }

                if (recursive && e.IsDirectory)
                {
                    pending.Enqueue(name);
                }
            }
        }

        return result;
    }
}
