using System.Collections.Concurrent;
using Sandbox86.Machines;

namespace Sandbox86.Server.Sandboxes;

/// <summary>One sandbox: its record and, while it runs, its machine and data-plane features.</summary>
internal sealed class SandboxEntry : IRunningSandbox, IDisposable
{
    private readonly ConcurrentDictionary<Type, IAsyncDisposable> _features = new();
    private CancellationTokenSource _stopping = new();
    private Machine? _machine;

    public SandboxEntry(SandboxRecord record) => Record = record;

    public SandboxRecord Record { get; }

    /// <summary>Serialises lifecycle changes (pause, resume, kill) of this sandbox.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    public bool Removed { get; set; }

    public string SandboxId => Record.SandboxId;

    public string? EnvdAccessToken => Record.EnvdAccessToken;

    public Machine Machine => _machine ?? throw new InvalidOperationException("sandbox is not running");

    public Machine? MachineOrNull => _machine;

    public IReadOnlyDictionary<string, string> EnvVars => Record.EnvVars;

    public CancellationToken Stopping => _stopping.Token;

    public T GetOrAddFeature<T>(Func<T> create)
        where T : class, IAsyncDisposable =>
        (T)_features.GetOrAdd(typeof(T), _ => create());

    public void Dispose() => _stopping.Dispose();

    public void Attach(Machine machine)
    {
        if (_stopping.IsCancellationRequested)
        {
            _stopping.Dispose();
            _stopping = new CancellationTokenSource();
        }

        _machine = machine;
    }

    /// <summary>Stops the data plane's use of the machine and returns it for saving or disposal.</summary>
    public async Task<Machine?> DetachAsync()
    {
        await _stopping.CancelAsync();
        foreach (var feature in _features.Values)
        {
            try
            {
                await feature.DisposeAsync();
            }
            catch (Exception)
            {
                // A feature failing to clean up must not keep the sandbox from stopping.
            }
        }

        _features.Clear();
        var machine = _machine;
        _machine = null;
        return machine;
    }
}
