namespace Sandbox86.Machines.Worker;

/// <summary>What the worker reports about itself (the <c>stats</c> op).</summary>
internal sealed record WorkerStats
{
    public long RssBytes { get; init; }

    /// <summary>Frames waiting in the worker because the host had not drained its stdout.</summary>
    public long QueuedBytes { get; init; }

    public long PeakQueuedBytes { get; init; }

    /// <summary>Console bytes the worker dropped while its stdout queue was over the lossy bound.</summary>
    public long SerialBytesDropped { get; init; }

    /// <summary>Guest frames the worker dropped while its stdout queue was over the lossy bound.</summary>
    public long NetFramesDropped { get; init; }

    /// <summary>
    /// Console bytes dropped because the guest had not yet configured that port's receive queue (v86 itself
    /// would read descriptors from address 0 and crash: worker.mjs <c>consoleQueueConfigured</c>).
    /// </summary>
    public long UnreadyConsoleBytesDropped { get; init; }

    /// <summary>libv86 log lines (sent to stderr, never to the frame pipe) dropped over the worker's rate limit.</summary>
    public long LogLinesSuppressed { get; init; }

    /// <summary>How often the worker paused the guest because its stdout queue reached the hard bound.</summary>
    public long GuestPauses { get; init; }

    /// <summary>v86's guest instruction counter (it stands still while the emulator is suspended).</summary>
    public long Instructions { get; init; }
}
