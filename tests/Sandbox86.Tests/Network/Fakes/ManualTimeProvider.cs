namespace Sandbox86.Tests.Network.Fakes;

/// <summary>
/// A clock that moves only when told. By default timers created from it still tick in real time but see fake
/// timestamps (the NAT tests poll by hand). With <c>manualTimers: true</c> timers fire only inside
/// <see cref="Advance"/>, when the fake clock passes their due time, so waits on the clock are tested without sleeping.
/// </summary>
internal sealed class ManualTimeProvider(bool manualTimers = false) : TimeProvider
{
    private static readonly TimeSpan WaitBound = TimeSpan.FromSeconds(10);
    private readonly Lock _lock = new();
    private readonly HashSet<ManualTimer> _pending = [];
    private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];
    private long _ticks = TimeSpan.FromDays(1).Ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(GetTimestamp());

    /// <summary>Timers scheduled and not yet fired (one-shot) or disposed.</summary>
    public int PendingTimers
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count;
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (!manualTimers)
        {
            return base.CreateTimer(callback, state, dueTime, period);
        }

        var timer = new ManualTimer(this, callback, state);
        Schedule(timer, dueTime, period);
        return timer;
    }

    /// <summary>Moves the clock; in manual mode fires, in due order, every timer the new time reaches.</summary>
    public void Advance(TimeSpan by)
    {
        var now = Interlocked.Add(ref _ticks, by.Ticks);
        while (true)
        {
            ManualTimer? next;
            lock (_lock)
            {
                next = _pending.Where(t => t.Due <= now).MinBy(t => t.Due);
                if (next is null)
                {
                    return;
                }

                if (next.Period > 0)
                {
                    next.Due += next.Period;
                }
                else
                {
                    _pending.Remove(next);
                }
            }

            next.Fire();
        }
    }

    /// <summary>
    /// Completes once at least <paramref name="count"/> timers are pending: the code under test has reached its next
    /// wait on the clock. Fails (TimeoutException) when that does not happen within 10 s of real time.
    /// </summary>
    public Task WaitForTimersAsync(int count = 1)
    {
        lock (_lock)
        {
            if (_pending.Count >= count)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, done));
            return done.Task.WaitAsync(WaitBound);
        }
    }

    private void Schedule(ManualTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        lock (_lock)
        {
            if (dueTime == Timeout.InfiniteTimeSpan)
            {
                _pending.Remove(timer);
                return;
            }

            timer.Due = GetTimestamp() + dueTime.Ticks;
            timer.Period = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
            _pending.Add(timer);
            foreach (var w in _waiters.Where(w => _pending.Count >= w.Count).ToList())
            {
                _waiters.Remove(w);
                w.Done.TrySetResult();
            }
        }
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public long Due { get; set; }

        public long Period { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            owner.Schedule(this, dueTime, period);
            return true;
        }

        public void Fire() => callback(state);

        public void Dispose() => owner.Schedule(this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
