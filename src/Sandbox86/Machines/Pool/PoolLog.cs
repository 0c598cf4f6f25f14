using Microsoft.Extensions.Logging;

namespace Sandbox86.Machines.Pool;

/// <summary>What the warm pool decided on its own, as log events (a null logger logs nothing).</summary>
internal static partial class PoolLog
{
    public static void WarmFailed(ILogger? logger, string image, int memoryMb, string reason)
    {
        if (logger is not null)
        {
            WarmFailedCore(logger, image, memoryMb, reason);
        }
    }

    public static void ClaimFellBack(ILogger? logger, string image, int memoryMb, string reason)
    {
        if (logger is not null)
        {
            ClaimFellBackCore(logger, image, memoryMb, reason);
        }
    }

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "the warm pool for '{Image}' ({MemoryMb} MB) could not restore a machine: {Reason}")]
    private static partial void WarmFailedCore(ILogger logger, string image, int memoryMb, string reason);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "a pooled machine of '{Image}' ({MemoryMb} MB) failed to wake ({Reason}); restoring one instead")]
    private static partial void ClaimFellBackCore(ILogger logger, string image, int memoryMb, string reason);
}
