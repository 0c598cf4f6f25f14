using System.Buffers.Binary;

namespace Sandbox86.Guest;

/// <summary>The receive and send loops and the single, idempotent shutdown.</summary>
public sealed partial class AgentClient
{
    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[65536];
        try
        {
            while (true)
            {
                var n = await _transport.ReadAsync(buffer, _shutdown.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    Shutdown(new AgentException("agent channel closed (end of stream)"));
                    return;
                }

                _decoder.Write(buffer.AsSpan(0, n));
                while (_decoder.TryRead(out var frame))
                {
                    Dispatch(frame);
                }
            }
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            // Shut down by someone else.
        }
        catch (Exception ex)
        {
            // Whatever ends this loop must fail pending calls, or they would wait forever.
            Shutdown(new AgentException($"agent channel failed: {ex.Message}", ex));
        }
    }

    private void Dispatch(AgentFrame frame)
    {
        switch (frame.Type)
        {
            case AgentMessageType.Hello:
                OnHello(frame);
                return;
            case AgentMessageType.ChannelCredit:
                if (_ready.Task.IsCompletedSuccessfully && frame.Payload.Length >= 4)
                {
                    _window.Credit(BinaryPrimitives.ReadUInt32LittleEndian(frame.Payload.Span));
                }

                return;
            case AgentMessageType.Error when frame.Stream == 0:
                Interlocked.Increment(ref _agentErrors);
                LastAgentError = ErrorFrame.ToException(frame).Message;
                return;
        }

        if (!_handlers.TryGetValue(frame.Stream, out var handler))
        {
            return; // late frames for a finished or cancelled request
        }

        bool done;
        try
        {
            done = handler.OnFrame(frame);
        }
        catch (FormatException ex)
        {
            handler.OnFault(new AgentException($"malformed reply from agent: {ex.Message}", ex));
            done = true;
        }
        catch (AgentException ex)
        {
            handler.OnFault(ex);
            done = true;
        }

        if (done)
        {
            _handlers.TryRemove(new KeyValuePair<uint, IAgentStreamHandler>(frame.Stream, handler));
        }
    }

    private void OnHello(AgentFrame frame)
    {
        AgentHello hello;
        try
        {
            hello = AgentHello.Parse(frame.Payload.Span);
        }
        catch (FormatException)
        {
            return;
        }

        var window = Math.Min(hello.Window, _options.MaxWindow);
        if (!_ready.Task.IsCompleted)
        {
            // The first answer to any of our requests starts the window. Requests still queued behind it
            // are unmetered and precede every metered byte, and the agent restarts its count after each.
            lock (_helloNonces)
            {
                if (frame.Stream != 0 && _helloNonces.Contains(frame.Stream))
                {
                    _window.Reset(window);
                    _ready.TrySetResult(hello);
                }
            }

            if (frame.Stream == 0)
            {
                // The agent just started (a cold boot): our earlier requests went nowhere, so ask
                // at once rather than after the retry interval (up to a second of boot time).
                NudgeHandshake();
            }

            return;
        }

        if (frame.Stream == 0)
        {
            // Unsolicited hello after the handshake: the agent restarted and lost every stream.
            _window.Reset(window);
            var error = new AgentException("agent restarted; in-flight operations were lost");
            foreach (var (stream, handler) in _handlers)
            {
                if (_handlers.TryRemove(stream, out _))
                {
                    handler.OnFault(error);
                }
            }
        }
    }

    private async Task SendLoopAsync()
    {
        var chunk = new byte[Math.Clamp(_options.MaxChunkSize, 64, AgentFrame.HeaderLength + AgentFrame.MaxPayload)];
        var reader = _outgoing.Reader;
        var token = _shutdown.Token;
        byte[]? current = null;
        var offset = 0;
        try
        {
            while (true)
            {
                if (current is null)
                {
                    _sendState = "wait-queue";
                    if (!await reader.WaitToReadAsync(token).ConfigureAwait(false))
                    {
                        return;
                    }

                    reader.TryRead(out var next);
                    if (next.Unmetered)
                    {
                        await WriteAsync(next.Bytes, metered: false, token).ConfigureAwait(false);
                        continue;
                    }

                    current = next.Bytes;
                    offset = 0;
                }

                _sendState = "wait-window";
                var allowed = await _window.WaitAsync(chunk.Length, token).ConfigureAwait(false);
                _sendState = "filling";
                var filled = 0;
                // Coalesce queued frames into one write: each write costs the guest a whole receive buffer.
                while (filled < allowed && current is not null)
                {
                    var n = Math.Min(allowed - filled, current.Length - offset);
                    current.AsSpan(offset, n).CopyTo(chunk.AsSpan(filled));
                    filled += n;
                    offset += n;
                    if (offset == current.Length)
                    {
                        current = reader.TryPeek(out var peek) && !peek.Unmetered && reader.TryRead(out var more) ? more.Bytes : null;
                        offset = 0;
                    }
                }

                await WriteAsync(chunk.AsMemory(0, filled), metered: true, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Shut down.
        }
        catch (Exception ex)
        {
            Shutdown(new AgentException($"agent channel write failed: {ex.Message}", ex));
        }
    }

    private async Task WriteAsync(ReadOnlyMemory<byte> bytes, bool metered, CancellationToken token)
    {
        if (metered)
        {
            // Charge before writing: the agent may credit these bytes before WriteAsync returns.
            _window.Charge(bytes.Length);
        }

        _sendState = "writing";
        await _transport.WriteAsync(bytes, token).ConfigureAwait(false);
        _sendState = "flushing";
        await _transport.FlushAsync(token).ConfigureAwait(false);
        _sendState = "written";
        if (Interlocked.Add(ref _queuedBytes, -bytes.Length) < QueueHighWater)
        {
            lock (_drainLock)
            {
                var old = _drained;
                _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                old.TrySetResult();
            }
        }
    }

    private void Shutdown(AgentException reason)
    {
        if (Interlocked.CompareExchange(ref _fault, reason, null) is not null)
        {
            return;
        }

        _outgoing.Writer.TryComplete();
        _ready.TrySetException(reason);
        _ = _ready.Task.Exception; // observed: nobody may be waiting for the handshake
        foreach (var (stream, handler) in _handlers)
        {
            if (_handlers.TryRemove(stream, out _))
            {
                handler.OnFault(reason);
            }
        }

        lock (_drainLock)
        {
            _drained.TrySetResult();
        }

        try
        {
            _shutdown.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed concurrently; the loops are ending anyway.
        }
    }
}
