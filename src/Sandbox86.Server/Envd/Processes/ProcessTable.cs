using System.Collections.Concurrent;
using Sandbox86.Server.Envd.Connect;
using Sandbox86.Server.Envd.Protos.Process;

namespace Sandbox86.Server.Envd.Processes;

/// <summary>The processes started through envd in one sandbox, by pid; ended ones leave once their output is drained.</summary>
internal sealed class ProcessTable : IAsyncDisposable
{
    private readonly ConcurrentDictionary<uint, TrackedProcess> _byPid = new();

    public IEnumerable<TrackedProcess> Running => _byPid.Values;

    public void Add(TrackedProcess process)
    {
        _byPid[process.Pid] = process;
        _ = process.Process.Completion.ContinueWith(
            _ => process.Pump.ContinueWith(_ => _byPid.TryRemove(new KeyValuePair<uint, TrackedProcess>(process.Pid, process)), TaskScheduler.Default),
            TaskScheduler.Default);
    }

    public TrackedProcess Find(ProcessSelector? selector)
    {
        TrackedProcess? found = selector?.SelectorCase switch
        {
            ProcessSelector.SelectorOneofCase.Pid => _byPid.GetValueOrDefault(selector.Pid),
            ProcessSelector.SelectorOneofCase.Tag => _byPid.Values.FirstOrDefault(p => p.Tag == selector.Tag),
            _ => throw new ConnectException("invalid_argument", "process selector needs a pid or a tag"),
        };
        return found ?? throw new ConnectException("not_found", $"process {selector} not found");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _byPid.Values)
        {
            try
            {
                await p.Process.KillAsync(9).ConfigureAwait(false);
            }
            catch (Exception e) when (e is Sandbox86.Guest.AgentException or ObjectDisposedException or InvalidOperationException)
            {
                // The VM is going away anyway.
            }
        }

        _byPid.Clear();
    }
}
