using Microsoft.Extensions.Logging;

namespace Sandbox86.Cli.Output;

/// <summary>
/// The library's log events as the CLI has always shown them: one line on stderr,
/// <c>sandbox86: message</c> (with a prefix such as <c>net: </c> per source). No host, no providers.
/// </summary>
internal sealed class StderrLogger(string prefix, LogLevel minimum) : ILogger
{
    public static StderrLogger Machine { get; } = new("sandbox86: ", LogLevel.Information);

    public static StderrLogger Setup { get; } = new("sandbox86 setup: ", LogLevel.Information);

    public static StderrLogger NetworkDenials { get; } = new("sandbox86: net: ", LogLevel.Debug);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            Console.Error.WriteLine(prefix + formatter(state, exception));
        }
    }
}
