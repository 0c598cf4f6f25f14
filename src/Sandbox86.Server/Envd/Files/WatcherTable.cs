using System.Collections.Concurrent;
using Sandbox86.Server.Envd.Connect;
using Sandbox86.Server.Envd.Protos.Filesystem;

namespace Sandbox86.Server.Envd.Files;

/// <summary>The polling watchers (CreateWatcher/GetWatcherEvents/RemoveWatcher) of one sandbox; each keeps at most 1,000 pending events.</summary>
internal sealed class WatcherTable : IAsyncDisposable
{
    private const int MaxWatchers = 64;
    private const int MaxPending = 1000;
    private readonly ConcurrentDictionary<string, Watcher> _watchers = new();

    public async Task<string> CreateAsync(DirectoryPoller poller, CancellationToken stopping, CancellationToken cancellationToken)
    {
        if (_watchers.Count >= MaxWatchers)
        {
            throw new ConnectException("resource_exhausted", $"at most {MaxWatchers} watchers per sandbox");
        }

        await poller.StartAsync(cancellationToken).ConfigureAwait(false);
        var id = Guid.NewGuid().ToString("N");
        var watcher = new Watcher(poller, CancellationTokenSource.CreateLinkedTokenSource(stopping));
        _watchers[id] = watcher;
        watcher.Loop = Task.Run(() => watcher.RunAsync());
        return id;
    }

    public List<FilesystemEvent> Drain(string id)
    {
        var w = _watchers.GetValueOrDefault(id) ?? throw new ConnectException("not_found", $"watcher '{id}' not found");
        var list = new List<FilesystemEvent>();
        while (w.Pending.TryDequeue(out var e))
        {
            list.Add(e);
        }

        return list;
    }

    public async Task RemoveAsync(string id)
    {
        if (!_watchers.TryRemove(id, out var w))
        {
            throw new ConnectException("not_found", $"watcher '{id}' not found");
        }

        await w.StopAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var id in _watchers.Keys)
        {
            if (_watchers.TryRemove(id, out var w))
            {
                await w.StopAsync().ConfigureAwait(false);
            }
        }
    }

    private sealed class Watcher(DirectoryPoller poller, CancellationTokenSource cts)
    {
        public ConcurrentQueue<FilesystemEvent> Pending { get; } = new();

        public Task Loop { get; set; } = Task.CompletedTask;

        public async Task RunAsync()
        {
            try
            {
                while (!cts.IsCancellationRequested)
                {
                    await Task.Delay(DirectoryPoller.Interval, cts.Token).ConfigureAwait(false);
                    foreach (var e in await poller.PollAsync(cts.Token).ConfigureAwait(false))
                    {
                        Pending.Enqueue(e);
                        while (Pending.Count > MaxPending && Pending.TryDequeue(out _))
                        {
                        }
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or Sandbox86.Guest.AgentException)
            {
                // Stopped, or the VM went away: the watcher just stops producing events.
            }
        }

        public async Task StopAsync()
        {
            await cts.CancelAsync().ConfigureAwait(false);
            await Loop.ConfigureAwait(false);
            cts.Dispose();
        }
    }
}
