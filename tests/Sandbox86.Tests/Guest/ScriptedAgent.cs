using System.Buffers.Binary;
using System.IO.Pipelines;
using Sandbox86.Guest;

namespace Sandbox86.Tests.Guest;

/// <summary>
/// A fake agent on in-memory pipes for behaviour the real one will not produce on demand:
/// lies about windows, restarts, corrupt or malformed replies. It credits what it reads.
/// </summary>
internal sealed class ScriptedAgent : IAsyncDisposable
{
    private readonly Pipe _toAgent = new();
    private readonly Pipe _toHost = new();
    private readonly Stream _agentIn;
    private readonly Stream _agentOut;
    private readonly AgentFrameDecoder _decoder = new();
    private readonly byte[] _buffer = new byte[65536];

    public ScriptedAgent()
    {
        HostSide = new DuplexStream(_toHost.Reader.AsStream(), _toAgent.Writer.AsStream());
        _agentIn = _toAgent.Reader.AsStream();
        _agentOut = _toHost.Writer.AsStream();
    }

    public Stream HostSide { get; }

    public async Task<AgentFrame> ReadFrameAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_decoder.TryRead(out var frame))
            {
                return frame;
            }

            var n = await _agentIn.ReadAsync(_buffer, cancellationToken);
            if (n == 0)
            {
                throw new EndOfStreamException();
            }

            _decoder.Write(_buffer.AsSpan(0, n));
            var credit = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(credit, (uint)n);
            await SendAsync(AgentMessageType.ChannelCredit, 0, credit);
        }
    }

    public async Task<AgentFrame> ExpectAsync(AgentMessageType type, CancellationToken cancellationToken)
    {
        while (true)
        {
            var f = await ReadFrameAsync(cancellationToken);
            if (f.Type == type)
            {
                return f;
            }
        }
    }

    public async Task HandshakeAsync(CancellationToken cancellationToken)
    {
        var request = await ExpectAsync(AgentMessageType.HelloRequest, cancellationToken);
        await SendHelloAsync(request.Stream);
    }

    public Task SendHelloAsync(uint stream) =>
        SendAsync(AgentMessageType.Hello, stream, new TlvWriter()
            .UInt32(AgentTag.Proto, 1).String(AgentTag.AgentVersion, "fake").String(AgentTag.Uname, "Linux fake")
            .UInt32(AgentTag.Pid, 1).UInt32(AgentTag.Window, 16384).ToArray());

    public Task SendAsync(AgentMessageType type, uint stream, ReadOnlyMemory<byte> payload) =>
        SendRawAsync(new AgentFrame(type, stream, payload).ToArray());

    public async Task SendRawAsync(byte[] bytes)
    {
        await _agentOut.WriteAsync(bytes);
        await _agentOut.FlushAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _agentOut.DisposeAsync();
        await _agentIn.DisposeAsync();
    }
}
