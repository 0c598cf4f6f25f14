using System.Threading.Channels;

namespace Sandbox86.Machines.Worker;

/// <summary>
/// One observer of a lossy channel (serial or net): its own bounded queue, drained by its own task that
/// calls the handler, so a slow handler (a terminal, a pcap writer, a browser console) only ever loses its
/// own data and never holds up the read loop or another observer.
/// </summary>
internal sealed class WorkerSubscription : IDisposable
{
    private readonly Channel<ReadOnlyMemory<byte>> _queue;
    private readonly Action<ReadOnlyMemory<byte>> _handler;
    private readonly Action<WorkerSubscription> _detach;
    private readonly CancellationTokenSource _stop = new();
    private long _droppedItems;
    private long _droppedBytes;
    private int _disposed;

    /// <param name="handler">Called for every item, on this subscription's own task.</param>
    /// <param name="capacity">Chunks (serial) or frames (net) queued before the full mode applies.</param>
    /// <param name="fullMode">
    /// <see cref="BoundedChannelFullMode.DropOldest"/> keeps the newest bytes (a console shows what happens now);
    /// <see cref="BoundedChannelFullMode.DropWrite"/> drops the arriving frame, as a NIC with a full receive ring does.
    /// </param>
    /// <param name="detach">Removes this subscription from its channel's list.</param>
    public WorkerSubscription(Action<ReadOnlyMemory<byte>> handler, int capacity, BoundedChannelFullMode fullMode, Action<WorkerSubscription> detach)
    {
        _handler = handler;
        _detach = detach;
        _queue = Channel.CreateBounded<ReadOnlyMemory<byte>>(
            new BoundedChannelOptions(capacity) { FullMode = fullMode, SingleReader = true, SingleWriter = true },
            dropped =>
            {
                Interlocked.Increment(ref _droppedItems);
                Interlocked.Add(ref _droppedBytes, dropped.Length);
            });
        Completion = Task.Run(DrainAsync);
    }

    /// <summary>Chunks or frames this observer lost because it fell behind.</summary>
    public long DroppedItems => Interlocked.Read(ref _droppedItems);

    public long DroppedBytes => Interlocked.Read(ref _droppedBytes);

    /// <summary>Ends when the channel completed and everything queued was handled, or faults with the handler's exception.</summary>
    public Task Completion { get; }

    /// <summary>Never blocks: a full queue drops (and counts) by its full mode.</summary>
    public void Post(ReadOnlyMemory<byte> item) => _queue.Writer.TryWrite(item);

    /// <summary>No more items: the consumer handles what is queued, then ends.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    private async Task DrainAsync()
    {
        try
        {
            await foreach (var item in _queue.Reader.ReadAllAsync(_stop.Token))
            {
                _handler(item);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Unsubscribed.
        }
        catch
        {
            // A throwing handler ends only its own subscription (Completion carries the exception);
            // further items are not queued for it.
            _queue.Writer.TryComplete();
            _detach(this);
            throw;
        }
    }

    /// <summary>Unsubscribes: the handler is not called again once its current call returns.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _detach(this);
        _queue.Writer.TryComplete();
        _stop.Cancel();
    }
}
