using Microsoft.Extensions.Logging;

namespace Sandbox86.Network;

/// <summary>The network stack's log events (source-generated: no formatting unless the level is on).</summary>
internal static partial class NetworkLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "{What}")]
    private static partial void DeniedCore(ILogger logger, string what);

    public static void Denied(ILogger? logger, string what)
    {
        if (logger is not null)
        {
            DeniedCore(logger, what);
        }
    }
}
