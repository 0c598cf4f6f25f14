using Microsoft.Extensions.Logging;

namespace Sandbox86.Machines.Idle;

/// <summary>Idle suspension's log events (a null logger logs nothing).</summary>
internal static partial class IdleLog
{
    public static void Suspended(ILogger? logger, TimeSpan after)
    {
        if (logger is not null)
        {
            SuspendedCore(logger, after.TotalSeconds);
        }
    }

    public static void Woke(ILogger? logger, TimeSpan took)
    {
        if (logger is not null)
        {
            WokeCore(logger, took.TotalMilliseconds);
        }
    }

    public static void SuspendFailed(ILogger? logger, string reason)
    {
        if (logger is not null)
        {
            SuspendFailedCore(logger, reason);
        }
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Debug, Message = "idle for {Seconds:0.#} s: emulator suspended")]
    private static partial void SuspendedCore(ILogger logger, double seconds);

    [LoggerMessage(EventId = 41, Level = LogLevel.Debug, Message = "woken from idle suspension in {Milliseconds:0} ms")]
    private static partial void WokeCore(ILogger logger, double milliseconds);

    [LoggerMessage(EventId = 42, Level = LogLevel.Warning, Message = "suspending the idle machine failed: {Reason}")]
    private static partial void SuspendFailedCore(ILogger logger, string reason);
}
