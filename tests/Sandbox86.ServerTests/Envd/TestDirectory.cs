using System.Collections.Concurrent;
using Sandbox86.Server.Sandboxes;

namespace Sandbox86.ServerTests.Envd;

/// <summary>A fixed set of sandboxes for the envd tests (the real registry lives in the control plane).</summary>
internal sealed class TestDirectory : ISandboxDirectory, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, TestSandbox> _sandboxes = new();

    public HashSet<string> Paused { get; } = [];

    public void Add(TestSandbox sandbox) => _sandboxes[sandbox.SandboxId] = sandbox;

    public SandboxLookup Find(string sandboxId) =>
        Paused.Contains(sandboxId) ? SandboxLookup.NotRunning
        : _sandboxes.TryGetValue(sandboxId, out var s) ? new SandboxLookup(SandboxLookupStatus.Running, s)
        : SandboxLookup.NotFound;

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _sandboxes.Values)
        {
            await s.DisposeAsync();
        }
    }
}
