using Microsoft.Extensions.Logging;

namespace Sandbox86.Machines;

/// <summary>What a machine decided on its own, as log events (a null logger logs nothing).</summary>
internal static partial class MachineLog
{
    public static void RestoreFailed(ILogger? logger, string reason)
    {
        if (logger is not null)
        {
            RestoreFailedCore(logger, reason);
        }
    }

    public static void ResyncFailed(ILogger? logger, string? reason)
    {
        if (logger is not null)
        {
            ResyncFailedCore(logger, reason ?? "unknown");
        }
    }

    public static void SnapshotDiscarded(ILogger? logger, string snapshot, string problem)
    {
        if (logger is not null)
        {
            SnapshotDiscardedCore(logger, snapshot, problem);
        }
    }

    public static void CreatingBootSnapshot(ILogger? logger, string image, int memoryMb)
    {
        if (logger is not null)
        {
            CreatingBootSnapshotCore(logger, image, memoryMb);
        }
    }

    public static void WaitingForBootSnapshot(ILogger? logger)
    {
        if (logger is not null)
        {
            WaitingForBootSnapshotCore(logger);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "restoring the boot snapshot failed ({Reason}); it was removed, cold booting instead")]
    private static partial void RestoreFailedCore(ILogger logger, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "resyncing the restored guest failed: {Reason}")]
    private static partial void ResyncFailedCore(ILogger logger, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "the boot snapshot {Snapshot} is {Problem}: discarding it (cold boot)")]
    private static partial void SnapshotDiscardedCore(ILogger logger, string snapshot, string problem);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "creating the boot snapshot for '{Image}' ({MemoryMb} MB): one cold boot, once")]
    private static partial void CreatingBootSnapshotCore(ILogger logger, string image, int memoryMb);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "waiting for another process to finish the boot snapshot")]
    private static partial void WaitingForBootSnapshotCore(ILogger logger);
}
