namespace Sandbox86.Guest;

/// <summary>
/// A request answered by one terminal frame (OK, stat, pong, error); listing entries that
/// precede the OK are collected, within a bound, so a hostile guest cannot exhaust memory.
/// </summary>
internal sealed class ReplyHandler : IAgentStreamHandler
{
    private const int MaxCollectedBytes = 16 * 1024 * 1024;
    private readonly TaskCompletionSource<AgentFrame> _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<ReadOnlyMemory<byte>> _entries = [];
    private long _collected;

    public Task<AgentFrame> Task => _reply.Task;

    public IReadOnlyList<ReadOnlyMemory<byte>> Entries => _entries;

    public bool OnFrame(AgentFrame frame)
    {
        switch (frame.Type)
        {
            case AgentMessageType.ListEntries:
                _collected += frame.Payload.Length;
                if (_collected > MaxCollectedBytes)
                {
                    _reply.TrySetException(new AgentException("directory listing too large"));
                    return true;
                }

                _entries.Add(frame.Payload);
                return false;
            case AgentMessageType.Error:
                _reply.TrySetException(ErrorFrame.ToException(frame));
                return true;
            default:
                _reply.TrySetResult(frame);
                return true;
        }
    }

    public void OnFault(AgentException error) => _reply.TrySetException(error);
}
