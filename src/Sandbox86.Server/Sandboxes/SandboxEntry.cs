using System.Collections.Concurrent;
using Sandbox86.Machines;

namespace Sandbox86.Server.Sandboxes;

/// <summary>One sandbox: its record and, while it runs, its machine and data-plane features.</summary>
internal sealed class SandboxEntry : IRunningSandbox, IDisposable
{
    private readonly ConcurrentDictionary<Type, IAsyncDisposable> _features = new();
    private CancellationTokenSource _stopping = new();
    private Machine? _machine;
    private MachineNetwork? _network;

    public SandboxEntry(SandboxRecord record) => Record = record;

    public SandboxRecord Record { get; }

    /// <summary>Serialises lifecycle changes (pause, resume, kill) of this sandbox.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    public bool Removed { get; set; }

    public string SandboxId => Record.SandboxId;

    public string? EnvdAccessToken => Record.EnvdAccessToken;

    public Machine Machine => _machine ?? throw new InvalidOperationException("sandbox is not running");

    public Machine? MachineOrNull => _machine;

    /// <summary>The NIC's network while running; null when created with <c>allow_internet_access: false</c> (no NIC configured, no route).</summary>
    public MachineNetwork? NetworkOrNull => _network;

    public IReadOnlyDictionary<string, string> EnvVars => Record.EnvVars;

    public CancellationToken Stopping => _stopping.Token;

    public T GetOrAddFeature<T>(Func<T> create)
        where T : class, IAsyncDisposable =>
        (T)_features.GetOrAdd(typeof(T), _ => create());

    public void Dispose() => _stopping.Dispose();

    public void Attach(Machine machine, MachineNetwork? network)
    {
        if (_stopping.IsCancellationRequested)
        {
            _stopping.Dispose();
            _stopping = new CancellationTokenSource();
        }

        _machine = machine;
        _network = network;
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
        if (Interlocked.Exchange(ref _network, null) is { } network)
        {
            await network.DisposeAsync();
        }

        var machine = _machine;
        _machine = null;
        return machine;
    }
}
