namespace Sandbox86.Mounts.Server;

/// <summary>Bounds one 9P session puts on a (hostile) guest.</summary>
public sealed record NineLimits
{
    /// <summary>The largest msize the server agrees to (the guest's <c>msize=</c> is lowered to it).</summary>
    public int MaxMessageSize { get; init; } = 128 * 1024;

    /// <summary>Fids a session may hold at once; each holds one or two host fds.</summary>
    public int MaxFids { get; init; } = 1024;

    /// <summary>Bytes the guest may write through the session in total (ENOSPC beyond); null is unbounded.</summary>
    public long? MaxWriteBytes { get; init; }

    /// <summary>The smallest msize accepted: below it not even a walk reply with its qids fits.</summary>
    public const int MinMessageSize = 4096;
}
