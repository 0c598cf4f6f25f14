using System.Threading.Channels;

namespace Sandbox86.Guest;

/// <summary>
/// Streams a guest file's chunks to the reader; bounded by the window the host grants, and
/// failed if the agent sends more than that.
/// </summary>
internal sealed class FileReadHandler : IAgentStreamHandler
{
    private readonly Channel<ReadOnlyMemory<byte>> _chunks = Channel.CreateUnbounded<ReadOnlyMemory<byte>>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly long _limit;
    private long _outstanding;

    public FileReadHandler(int window)
    {
        _limit = window;
    }

    public ChannelReader<ReadOnlyMemory<byte>> Chunks => _chunks.Reader;

    public void Consumed(int bytes) => Interlocked.Add(ref _outstanding, -bytes);

    public bool OnFrame(AgentFrame frame)
    {
        switch (frame.Type)
        {
            case AgentMessageType.FileData:
                if (Interlocked.Add(ref _outstanding, frame.Payload.Length) > _limit)
                {
                    _chunks.Writer.TryComplete(new AgentException("agent sent file data beyond the granted window"));
                    return true;
                }

                _chunks.Writer.TryWrite(frame.Payload);
                return false;
            case AgentMessageType.FileEof:
                _chunks.Writer.TryComplete();
                return true;
            case AgentMessageType.Error:
                _chunks.Writer.TryComplete(ErrorFrame.ToException(frame));
                return true;
            default:
                return false;
        }
    }

    public void OnFault(AgentException error) => _chunks.Writer.TryComplete(error);
}
