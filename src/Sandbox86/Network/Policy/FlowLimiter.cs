namespace Sandbox86.Network.Policy;

/// <summary>Per-network flow count, bandwidth (token bucket) and total-byte limits. Thread-safe.</summary>
internal sealed class FlowLimiter(NetworkLimits limits, TimeProvider time)
{
    private readonly Lock _lock = new();
    private int _flows;
    private long _total;
    private double _tokens = limits.MaxBytesPerSecond ?? 0;
    private long _lastRefill = time.GetTimestamp();

    public int ActiveFlows => Volatile.Read(ref _flows);

    public long TotalBytes => Interlocked.Read(ref _total);

    public bool TryAcquireFlow()
    {
        if (Interlocked.Increment(ref _flows) > limits.MaxConcurrentFlows || IsTotalExhausted)
        {
            Interlocked.Decrement(ref _flows);
            return false;
        }

        return true;
    }

    public void ReleaseFlow() => Interlocked.Decrement(ref _flows);

    public bool IsTotalExhausted => limits.MaxTotalBytes is { } max && Interlocked.Read(ref _total) >= max;

    /// <summary>Accounts bytes; returns how long the caller should pause before moving more (zero when unlimited).</summary>
    public TimeSpan Account(int bytes)
    {
        Interlocked.Add(ref _total, bytes);
        if (limits.MaxBytesPerSecond is not { } rate || rate <= 0)
        {
            return TimeSpan.Zero;
        }

        lock (_lock)
        {
            var now = time.GetTimestamp();
            _tokens = Math.Min(rate, _tokens + (time.GetElapsedTime(_lastRefill, now).TotalSeconds * rate));
            _lastRefill = now;
            _tokens -= bytes;
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens / rate);
        }
    }
}
