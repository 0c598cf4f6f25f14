using System.Collections.Concurrent;
using Sandbox86.Machines;
using Sandbox86.Server.Sandboxes;

namespace Sandbox86.ServerTests.Envd;

/// <summary>One running sandbox over a real Machine, with the feature bag the data plane uses.</summary>
internal sealed class TestSandbox(string id, Machine machine, string? token) : IRunningSandbox, IAsyncDisposable
{
    private readonly ConcurrentDictionary<Type, IAsyncDisposable> _features = new();
    private readonly CancellationTokenSource _stopping = new();

    public string SandboxId => id;

    public string? EnvdAccessToken => token;

    public Machine Machine => machine;

    public IReadOnlyDictionary<string, string> EnvVars { get; } = new Dictionary<string, string> { ["SANDBOX_BASE"] = "from-create" };

    public CancellationToken Stopping => _stopping.Token;

    public T GetOrAddFeature<T>(Func<T> create)
        where T : class, IAsyncDisposable => (T)_features.GetOrAdd(typeof(T), _ => create());

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        foreach (var f in _features.Values)
        {
            await f.DisposeAsync();
        }
    }
}
