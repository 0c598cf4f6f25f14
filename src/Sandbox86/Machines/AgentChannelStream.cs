using System.Threading.Channels;
using Sandbox86.Machines.Worker;

namespace Sandbox86.Machines;

/// <summary>
/// Presents the agent's virtio-console port as a duplex <see cref="Stream"/> for the agent client.
/// Inbound bytes come from that port's bounded queue in <see cref="WorkerChannels"/>: when the client
/// falls behind, the worker's read loop waits (backpressure up to the guest), and no byte is ever dropped —
/// a lost byte would break the agent's framing, and its credits keep an honest agent well inside the bound.
/// </summary>
internal sealed class AgentChannelStream : Stream
{
    private readonly IWorkerConnection _worker;
    private readonly ChannelReader<ReadOnlyMemory<byte>> _inbound;
    private readonly int _port;
    private ReadOnlyMemory<byte> _current;

    public AgentChannelStream(IWorkerConnection worker, int port = WorkerConsolePorts.Agent)
    {
        _worker = worker;
        _port = port;
        _inbound = worker.Channels.ConsolePort(port);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_current.IsEmpty)
        {
            // Throws the worker's exit reason once it is gone and everything before it was read.
            if (!await _inbound.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return 0;
            }

            _inbound.TryRead(out _current);
        }

        var n = Math.Min(buffer.Length, _current.Length);
        _current[..n].CopyTo(buffer);
        _current = _current[n..];
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Runs before every write: idle suspension resumes a suspended machine here, so no byte meets a stopped guest.</summary>
    public Func<CancellationToken, ValueTask>? BeforeWrite { get; set; }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        BeforeWrite is null ? new(_worker.SendConsoleAsync(_port, buffer, cancellationToken)) : WriteAfterAsync(BeforeWrite, buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private async ValueTask WriteAfterAsync(Func<CancellationToken, ValueTask> before, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        await before(cancellationToken).ConfigureAwait(false);
        await _worker.SendConsoleAsync(_port, buffer, cancellationToken).ConfigureAwait(false);
    }

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
}
