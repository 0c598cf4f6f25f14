using System.Threading.Channels;
using Sandbox86.Machines.Worker;

namespace Sandbox86.Machines;

/// <summary>
/// Presents the worker's agent channel (virtio-console port 1) as a duplex <see cref="Stream"/>
/// for the agent client. Inbound bytes are queued up to a fixed budget; past it they are dropped and
/// counted, because a guest that ignores flow control must not grow host memory.
/// </summary>
internal sealed class AgentChannelStream : Stream
{
    internal const long MaxQueuedBytes = 16 * 1024 * 1024;

    private readonly WorkerProcess _worker;
    private readonly Channel<ReadOnlyMemory<byte>> _inbound = Channel.CreateUnbounded<ReadOnlyMemory<byte>>(new UnboundedChannelOptions { SingleReader = true });
    private ReadOnlyMemory<byte> _current;
    private long _queuedBytes;
    private long _droppedBytes;

    public AgentChannelStream(WorkerProcess worker)
    {
        _worker = worker;
        worker.AgentReceived += OnAgentBytes;
        _ = worker.Exited.ContinueWith(t => _inbound.Writer.TryComplete(t.Result), TaskScheduler.Default);
    }

    /// <summary>Guest bytes dropped because the reader fell more than <see cref="MaxQueuedBytes"/> behind.</summary>
    public long DroppedBytes => Interlocked.Read(ref _droppedBytes);

    private void OnAgentBytes(ReadOnlyMemory<byte> bytes)
    {
        if (Interlocked.Add(ref _queuedBytes, bytes.Length) > MaxQueuedBytes)
        {
            Interlocked.Add(ref _queuedBytes, -bytes.Length);
            Interlocked.Add(ref _droppedBytes, bytes.Length);
            return;
        }

        _inbound.Writer.TryWrite(bytes);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_current.IsEmpty)
        {
            if (!await _inbound.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return 0;
            }

            if (_inbound.Reader.TryRead(out var next))
            {
                _current = next;
                Interlocked.Add(ref _queuedBytes, -next.Length);
            }
        }

        var n = Math.Min(buffer.Length, _current.Length);
        _current[..n].CopyTo(buffer);
        _current = _current[n..];
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        new(_worker.SendAgentAsync(buffer, cancellationToken));

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _worker.SendAgentAsync(buffer.AsMemory(offset, count), cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _worker.AgentReceived -= OnAgentBytes;
            _inbound.Writer.TryComplete();
        }

        base.Dispose(disposing);
    }
}
