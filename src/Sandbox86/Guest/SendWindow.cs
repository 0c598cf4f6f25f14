namespace Sandbox86.Guest;

/// <summary>
/// Host-to-guest flow control: bytes in flight never exceed the agent's window, and writes in
/// flight never exceed the guest's receive buffers. Positions restart at each hello.
/// </summary>
internal sealed class SendWindow
{
    private readonly object _lock = new();
    private readonly Queue<long> _writeEnds = new();
    private readonly int _maxWritesInFlight;
    private TaskCompletionSource _changed = NewSignal();
    private long _sent;
    private long _consumed;
    private int _window;

    public SendWindow(int maxWritesInFlight)
    {
        _maxWritesInFlight = Math.Max(1, maxWritesInFlight);
    }

    /// <summary>Bytes written but not yet credited by the agent.</summary>
    public long InFlight
    {
        get
        {
            lock (_lock)
            {
                return _sent - _consumed;
            }
        }
    }

    public void Reset(int window)
    {
        lock (_lock)
        {
            _sent = 0;
            _consumed = 0;
            _window = Math.Max(0, window);
            _writeEnds.Clear();
            SignalLocked();
        }
    }

    public void Credit(long delta)
    {
        lock (_lock)
        {
            // Never more than was sent: a confused guest cannot open the window beyond its size.
            _consumed = Math.Min(_sent, _consumed + Math.Max(0, delta));
            SignalLocked();
        }
    }

    public void Charge(int bytes)
    {
        lock (_lock)
        {
            _sent += bytes;
            _writeEnds.Enqueue(_sent);
        }
    }

    /// <summary>Bytes that may be written now (at most <paramref name="max"/>), waiting until some may.</summary>
    public async ValueTask<int> WaitAsync(int max, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                var available = Available();
                if (available > 0)
                {
                    return (int)Math.Min(max, available);
                }

                wait = _changed.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public int AvailableNow(int max)
    {
        lock (_lock)
        {
            return (int)Math.Min(max, Available());
        }
    }

    private long Available()
    {
        while (_writeEnds.Count > 0 && _writeEnds.Peek() <= _consumed)
        {
            _writeEnds.Dequeue();
        }

        if (_writeEnds.Count >= _maxWritesInFlight)
        {
            return 0;
        }

        return _window - (_sent - _consumed);
    }

    private void SignalLocked()
    {
        var old = _changed;
        _changed = NewSignal();
        old.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
