using Microsoft.Extensions.Logging;

namespace Sandbox86.Server.Sandboxes;

/// <summary>
/// The logger a sandbox's machine (and its network) writes to: every entry is logged inside a scope
/// carrying <c>SandboxId</c>, so a line from a worker, the watchdog or the NAT names its sandbox even
/// when it is written long after the request that created it (a scope begun around the create call
/// would not reach those later async flows).
/// </summary>
internal sealed class SandboxLogger(ILogger inner, string sandboxId) : ILogger
{
    private readonly KeyValuePair<string, object?>[] _scope = [new("SandboxId", sandboxId)];

    public string SandboxId { get; } = sandboxId;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!inner.IsEnabled(logLevel))
        {
            return;
        }

        using (inner.BeginScope(_scope))
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }
}
