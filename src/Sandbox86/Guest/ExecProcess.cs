using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Sandbox86.Guest;

/// <summary>
/// A process running in the guest: stream its output, feed its stdin, signal it, await its end.
/// Output is either streamed (<see cref="ReadOutputAsync"/>, started with
/// <see cref="AgentClient.StartAsync"/>) or collected into the <see cref="ExecResult"/>
/// (<see cref="AgentClient.ExecAsync"/>).
/// </summary>
public sealed class ExecProcess : IAgentStreamHandler
{
    private readonly AgentClient _client;
    private readonly bool _collect;
    private readonly long _cap;
    private readonly long _window;
    private readonly TaskCompletionSource<int> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<ExecResult> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Channel<ExecOutput> _output = Channel.CreateUnbounded<ExecOutput>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly ArrayBufferWriter<byte> _stdout = new();
    private readonly ArrayBufferWriter<byte> _stderr = new();
    private long _collected;
    private long _outstanding;
    private bool _truncated;

    internal ExecProcess(AgentClient client, uint stream, bool collect, long cap, int window)
    {
        _client = client;
        Stream = stream;
        _collect = collect;
        _cap = cap;
        _window = window;
    }

    /// <summary>Guest process id (0 when the program could not be executed).</summary>
    public int Pid => _started.Task.IsCompletedSuccessfully ? _started.Task.Result : 0;

    /// <summary>Completes when the process has ended and its output has been drained.</summary>
    public Task<ExecResult> Completion => _exited.Task;

    internal uint Stream { get; }

    internal Task<int> Started => _started.Task;

    /// <summary>Output chunks as the agent reads them, until the process ends. Read it once.</summary>
    public async IAsyncEnumerable<ExecOutput> ReadOutputAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (_collect)
        {
            throw new InvalidOperationException("output of this process is collected into its result; use StartAsync to stream");
        }

        await foreach (var item in _output.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (item.Data.Length > 0)
            {
                Interlocked.Add(ref _outstanding, -item.Data.Length);
                if (!_exited.Task.IsCompleted)
                {
                    // Credit goes back only as the consumer takes output: a slow reader pauses the child.
                    _client.SendCredit(Stream, item.Data.Length);
                }
            }

            yield return item;
        }
    }

    /// <summary>Sends bytes to the process's stdin (requires <see cref="ExecRequest.Stdin"/> or a pty).</summary>
    public async Task WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        const int frameSize = 32 * 1024;
        while (!data.IsEmpty)
        {
            await _client.WaitForQueueRoomAsync(cancellationToken).ConfigureAwait(false);
            var n = Math.Min(frameSize, data.Length);
            _client.Send(AgentMessageType.Stdin, Stream, data[..n].ToArray());
            data = data[n..];
        }
    }

    /// <summary>Closes stdin once queued input has been delivered (EOF character on a pty).</summary>
    public Task CloseStdinAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _client.Send(AgentMessageType.StdinEof, Stream, ReadOnlyMemory<byte>.Empty);
        return Task.CompletedTask;
    }

    /// <summary>Sends <paramref name="signal"/> (default SIGKILL) to the process's whole group.</summary>
    public Task KillAsync(int signal = 9, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var payload = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(payload, (uint)signal);
        _client.Send(AgentMessageType.Kill, Stream, payload);
        return Task.CompletedTask;
    }

    /// <summary>Changes the pty size (ignored without a pty).</summary>
    public Task ResizeAsync(PtySize size, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var payload = new byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(payload, (ushort)Math.Clamp(size.Rows, 1, 65535));
        BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(2), (ushort)Math.Clamp(size.Columns, 1, 65535));
        _client.Send(AgentMessageType.Resize, Stream, payload);
        return Task.CompletedTask;
    }

    /// <summary>Waits for the process to end.</summary>
    public Task<ExecResult> WaitAsync(CancellationToken cancellationToken = default) =>
        _exited.Task.WaitAsync(cancellationToken);

    bool IAgentStreamHandler.OnFrame(AgentFrame frame)
    {
        switch (frame.Type)
        {
            case AgentMessageType.Started:
                _started.TrySetResult(ReadPid(frame.Payload.Span));
                return false;
            case AgentMessageType.Stdout:
            case AgentMessageType.Stderr:
                OnOutput(frame.Type == AgentMessageType.Stdout ? ExecOutputKind.Stdout : ExecOutputKind.Stderr, frame.Payload);
                return false;
            case AgentMessageType.Truncated:
                MarkTruncated();
                return false;
            case AgentMessageType.Exit:
                OnExit(frame.Payload.Span);
                return true;
            case AgentMessageType.Error:
                Fail(ErrorFrame.ToException(frame));
                return true;
            default:
                return false;
        }
    }

    void IAgentStreamHandler.OnFault(AgentException error) => Fail(error);

    private void OnOutput(ExecOutputKind kind, ReadOnlyMemory<byte> data)
    {
        if (_collect)
        {
            // Client-side cap as well: the guest is not trusted to honour the one it was given.
            var keep = (int)Math.Clamp(_cap - _collected, 0, data.Length);
            (kind == ExecOutputKind.Stdout ? _stdout : _stderr).Write(data.Span[..keep]);
            _collected += keep;
            if (keep < data.Length)
            {
                _truncated = true;
            }

            _client.SendCredit(Stream, data.Length);
            return;
        }

        if (Interlocked.Add(ref _outstanding, data.Length) > _window)
        {
            Fail(new AgentException("agent sent output beyond the granted window"));
            _client.Unregister(Stream);
            return;
        }

        _output.Writer.TryWrite(new ExecOutput(kind, data));
    }

    private void MarkTruncated()
    {
        if (!_truncated && !_collect)
        {
            _output.Writer.TryWrite(new ExecOutput(ExecOutputKind.Truncated, ReadOnlyMemory<byte>.Empty));
        }

        _truncated = true;
    }

    private void OnExit(ReadOnlySpan<byte> payload)
    {
        int code = 0, signal = 0;
        bool timedOut = false, truncated = false;
        var r = new TlvReader(payload);
        while (r.Read())
        {
            switch (r.Tag)
            {
                case AgentTag.ExitCode: code = r.Int32(); break;
                case AgentTag.Signal: signal = r.Int32(); break;
                case AgentTag.TimedOut: timedOut = r.UInt64() != 0; break;
                case AgentTag.Truncated: truncated = r.UInt64() != 0; break;
                default: break;
            }
        }

        _started.TrySetResult(0);
        _output.Writer.TryComplete();
        _exited.TrySetResult(new ExecResult
        {
            ExitCode = code,
            Signal = signal,
            TimedOut = timedOut,
            Truncated = truncated || _truncated,
            Stdout = _stdout.WrittenMemory,
            Stderr = _stderr.WrittenMemory,
        });
    }

    private void Fail(AgentException error)
    {
        _started.TrySetException(error);
        _exited.TrySetException(error);
        _output.Writer.TryComplete(error);
        // Observe both so an unawaited process does not surface as an unobserved task exception.
        _ = _started.Task.Exception;
        _ = _exited.Task.Exception;
    }

    private static int ReadPid(ReadOnlySpan<byte> payload)
    {
        var r = new TlvReader(payload);
        while (r.Read())
        {
            if (r.Tag == AgentTag.Pid)
            {
                return r.Int32();
            }
        }

        return 0;
    }
}
