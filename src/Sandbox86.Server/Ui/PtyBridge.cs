using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Sandbox86.Guest;

namespace Sandbox86.Server.Ui;

/// <summary>
/// One console socket joined to one PTY process in the guest: a receive loop (page → stdin, resizes), an output
/// pump (agent → a bounded queue) and a send loop (queue → page), and one idempotent <see cref="Shutdown"/>.
/// Backpressure runs end to end: a page that stops reading stalls <c>SendAsync</c>, the queue fills, the pump
/// stops taking output, the agent gets no credit back (its 256 KiB window) and the guest's writer blocks on
/// its pty. So a flooding guest costs at most the queue plus the agent's window per socket.
/// </summary>
internal sealed class PtyBridge : IDisposable
{
    /// <summary>Largest message the page may send (keystrokes and pastes arrive in far smaller pieces).</summary>
    public const int MaxClientMessageBytes = 64 * 1024;

    /// <summary>Output chunks queued per socket; each is one agent frame (at most 64 KiB).</summary>
    public const int OutputQueueChunks = 8;

    /// <summary>How long a hung-up shell has to end before it is killed.</summary>
    private static readonly TimeSpan HangupGrace = TimeSpan.FromSeconds(2);

    /// <summary>How long the page has to answer our close frame.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);

    private readonly WebSocket _socket;
    private readonly ExecProcess _process;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _cts;
    // Apart from _cts: cancelling a receive aborts the socket, so the receive loop keeps reading until the
    // page answers our close frame (or a grace period ends).
    private readonly CancellationTokenSource _receiveCts = new();
    private readonly Channel<Outbound> _outbound = Channel.CreateBounded<Outbound>(
        new BoundedChannelOptions(OutputQueueChunks) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true, SingleWriter = true });
    private int _shutdown;
    private WebSocketCloseStatus _closeStatus = WebSocketCloseStatus.NormalClosure;
    private string _closeReason = "";

    private PtyBridge(WebSocket socket, ExecProcess process, ILogger log, CancellationToken stopping)
    {
        _socket = socket;
        _process = process;
        _log = log;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(stopping);
    }

    /// <summary>Runs until the shell ends, the page goes away or <paramref name="stopping"/> fires (sandbox paused or killed).</summary>
    public static async Task RunAsync(WebSocket socket, ExecProcess process, ILogger log, CancellationToken stopping)
    {
        using var bridge = new PtyBridge(socket, process, log, stopping);
        using (stopping.Register(() => bridge.Shutdown("the sandbox stopped", WebSocketCloseStatus.EndpointUnavailable)))
        {
            var receive = bridge.ReceiveLoopAsync();
            var pump = bridge.PumpOutputAsync();
            var send = bridge.SendLoopAsync();
            await Task.WhenAll(receive, pump, send).ConfigureAwait(false);
        }
    }

    /// <summary>Ends the session once: the shell is hung up (then killed), the queue completed, the socket closed.</summary>
    private void Shutdown(string reason, WebSocketCloseStatus status = WebSocketCloseStatus.NormalClosure)
    {
        if (Interlocked.Exchange(ref _shutdown, 1) != 0)
        {
            return;
        }

        UiLog.SocketEnds(_log, _process.Pid, reason);
        _closeStatus = status;
        _closeReason = reason.Length > 100 ? reason[..100] : reason;
        _ = HangUpAsync();
        _outbound.Writer.TryComplete();
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task HangUpAsync()
    {
        if (_process.Completion.IsCompleted)
        {
            return;
        }

        try
        {
            await _process.KillAsync(signal: 1).ConfigureAwait(false);
            if (await Task.WhenAny(_process.Completion, Task.Delay(HangupGrace)).ConfigureAwait(false) != _process.Completion)
            {
                await _process.KillAsync().ConfigureAwait(false);
            }
        }
        catch (AgentException)
        {
            // The machine went away: nothing is left to end.
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxClientMessageBytes);
        try
        {
            while (true)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == MaxClientMessageBytes)
                    {
                        Shutdown($"a message over {MaxClientMessageBytes} bytes", WebSocketCloseStatus.MessageTooBig);
                        return;
                    }

                    result = await _socket.ReceiveAsync(buffer.AsMemory(length, MaxClientMessageBytes - length), _receiveCts.Token).ConfigureAwait(false);
                    length += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    Shutdown("closed by the page");
                    return;
                }

                if (_shutdown != 0)
                {
                    // Draining until the page answers our close frame.
                    continue;
                }

                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    if (length > 0)
                    {
                        await _process.WriteStdinAsync(buffer.AsMemory(0, length), _cts.Token).ConfigureAwait(false);
                    }
                }
                else if (PtyControlMessage.TryParse(buffer.AsSpan(0, length), out var control))
                {
                    await _process.ResizeAsync(new PtySize(control.Rows, control.Columns), _cts.Token).ConfigureAwait(false);
                }
                else
                {
                    Shutdown("a text message that is not {type:resize,cols,rows}", WebSocketCloseStatus.InvalidPayloadData);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (WebSocketException e)
        {
            Shutdown("socket failed: " + e.Message, WebSocketCloseStatus.ProtocolError);
        }
        catch (AgentException e)
        {
            Shutdown("agent failed: " + e.Message, WebSocketCloseStatus.InternalServerError);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task PumpOutputAsync()
    {
        try
        {
            await foreach (var output in _process.ReadOutputAsync(_cts.Token).ConfigureAwait(false))
            {
                if (output.Data.Length > 0)
                {
                    // Waits while the queue is full: no credit goes back to the agent meanwhile.
                    await _outbound.Writer.WriteAsync(new Outbound(output.Data, WebSocketMessageType.Binary), _cts.Token).ConfigureAwait(false);
                }
            }

            var exit = await _process.Completion.ConfigureAwait(false);
            var text = $"{{\"type\":\"exit\",\"code\":{exit.ExitCode},\"signal\":{exit.Signal}}}";
            await _outbound.Writer.WriteAsync(new Outbound(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text), _cts.Token).ConfigureAwait(false);
            _outbound.Writer.TryComplete();
        }
        catch (OperationCanceledException)
        {
        }
        catch (ChannelClosedException)
        {
        }
        catch (AgentException e)
        {
            Shutdown("agent failed: " + e.Message, WebSocketCloseStatus.InternalServerError);
        }
    }

    private async Task SendLoopAsync()
    {
        try
        {
            await foreach (var message in _outbound.Reader.ReadAllAsync(_cts.Token).ConfigureAwait(false))
            {
                await _socket.SendAsync(message.Data, message.Type, endOfMessage: true, _cts.Token).ConfigureAwait(false);
            }

            // The queue completes when the shell has exited (its exit message sent) or at shutdown.
            Shutdown("the shell exited");
        }
        catch (OperationCanceledException)
        {
        }
        catch (WebSocketException e)
        {
            Shutdown("socket failed: " + e.Message, WebSocketCloseStatus.ProtocolError);
        }

        await CloseSocketAsync().ConfigureAwait(false);
    }

    private async Task CloseSocketAsync()
    {
        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(CloseGrace);
                await _socket.CloseOutputAsync(_closeStatus, _closeReason, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            _socket.Abort();
        }
        finally
        {
            _receiveCts.CancelAfter(CloseGrace);
        }
    }

    public void Dispose()
    {
        _cts.Dispose();
        _receiveCts.Dispose();
    }

    private readonly record struct Outbound(ReadOnlyMemory<byte> Data, WebSocketMessageType Type);
}
