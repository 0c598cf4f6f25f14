namespace Sandbox86.Guest;

/// <summary>Tuning for <see cref="AgentClient"/>; the defaults suit v86's virtio-console.</summary>
public sealed record AgentClientOptions
{
    /// <summary>
    /// Largest single write to the transport. v86 puts one host write into one guest receive buffer
    /// (4 KiB pages in Linux's virtio_console) and drops what does not fit.
    /// </summary>
    public int MaxChunkSize { get; init; } = 4096;

    /// <summary>
    /// Writes that may be unacknowledged at once: each occupies one of the 16 receive buffers
    /// the guest posts, so stay well below that however small the writes are.
    /// </summary>
    public int MaxWritesInFlight { get; init; } = 8;

    /// <summary>Upper bound on the agent's advertised window (the agent may offer less).</summary>
    public int MaxWindow { get; init; } = 16384;

    /// <summary>Guest-to-host window per process or file read, in bytes.</summary>
    public int OutputWindow { get; init; } = 256 * 1024;

    /// <summary>Output cap for <see cref="AgentClient.ExecAsync"/> when the request sets none.</summary>
    public long DefaultOutputCap { get; init; } = 16L * 1024 * 1024;

    /// <summary>How often the hello request is repeated while the agent is not answering.</summary>
    public TimeSpan HelloRetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Whether disposing the client leaves the transport stream open.</summary>
    public bool LeaveOpen { get; init; }
}
