using System.Buffers.Binary;
using Sandbox86.Guest;

namespace Sandbox86.Tests.Guest;

/// <summary>
/// Sits between AgentClient and the agent like v86 does: host bytes beyond the credit the agent
/// granted are dropped (and counted), as v86 drops bytes when the guest has no buffer posted.
/// It learns the credit by decoding the agent's frames before the client sees them.
/// </summary>
internal sealed class CreditShim(Stream inner, int? windowOverride = null) : Stream
{
    private readonly AgentFrameDecoder _decoder = new();
    private readonly object _lock = new();
    private bool _metered;
    private long _window;
    private long _sent;
    private long _credited;

    public long Violations { get; private set; }

    public long DroppedBytes { get; private set; }

    public int MaxWrite { get; private set; }

    public long MaxInFlight { get; private set; }

    public long MeteredBytes => _sent;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken);
        lock (_lock)
        {
            _decoder.Write(buffer.Span[..n]);
            while (_decoder.TryRead(out var frame))
            {
                if (frame.Type == AgentMessageType.Hello && frame.Stream != 0)
                {
                    var hello = AgentHello.Parse(frame.Payload.Span);
                    _window = windowOverride ?? hello.Window;
                    _sent = 0;
                    _credited = 0;
                    _metered = true;
                }
                else if (frame.Type == AgentMessageType.ChannelCredit && _metered)
                {
                    _credited += BinaryPrimitives.ReadUInt32LittleEndian(frame.Payload.Span);
                }
            }
        }

        return n;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var forward = buffer;
        lock (_lock)
        {
            MaxWrite = Math.Max(MaxWrite, buffer.Length);
            if (_metered)
            {
                var allowed = Math.Max(0, _window - (_sent - _credited));
                if (buffer.Length > allowed)
                {
                    Violations++;
                    DroppedBytes += buffer.Length - allowed;
                    forward = buffer[..(int)allowed];
                }

                _sent += forward.Length;
                MaxInFlight = Math.Max(MaxInFlight, _sent - _credited);
            }
        }

        await inner.WriteAsync(forward, cancellationToken);
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
