using Microsoft.Extensions.Logging;

namespace Sandbox86.Runtime;

/// <summary>What setting up the host does on its own, as log events (a null logger logs nothing).</summary>
internal static partial class RuntimeLog
{
    public static void Installing(ILogger? logger, string packages)
    {
        if (logger is not null)
        {
            InstallingCore(logger, packages);
        }
    }

    public static void AptOutput(ILogger? logger, string line)
    {
        if (logger is not null)
        {
            AptOutputCore(logger, line);
        }
    }

    public static void AptUpdateFailed(ILogger? logger)
    {
        if (logger is not null)
        {
            AptUpdateFailedCore(logger);
        }
    }

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "installing host packages ({Packages}) — once")]
    private static partial void InstallingCore(ILogger logger, string packages);

    [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "{Line}")]
    private static partial void AptOutputCore(ILogger logger, string line);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "apt-get update reported errors; continuing")]
    private static partial void AptUpdateFailedCore(ILogger logger);
}
