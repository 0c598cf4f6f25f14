using System.Net;
using System.Net.Sockets;
using Sandbox86.Network.Wire;

namespace Sandbox86.Network.Nat;

internal sealed partial class TcpConnection
{
    private const int ChunkSize = 64 * 1024;
    private readonly AsyncSignal _spaceAvailable = new();
    private readonly AsyncSignal _dataAvailable = new();
    private readonly CancellationTokenSource _cts = new();
    private Socket? _socket;
    private bool _pumpsStarted, _hostWriteDone;

    /// <summary>Guest SYN: dial the host first; the guest sees a SYN-ACK only once the dial succeeded, else a RST.</summary>
    public void StartDial(in TcpHeader syn, IPEndPoint target)
    {
        State = TcpState.Dialing;
        _irs = syn.Sequence;
        _rcvNxt = _irs + 1;
        _rcvShift = syn.Options.WindowScale is null ? (byte)0 : ChooseRcvShift();
        ApplySynOptions(syn, weOfferedScale: _rcvShift != 0 || syn.Options.WindowScale is not null);
        _ = DialAsync(target);
    }

    private async Task DialAsync(IPEndPoint target)
    {
        var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = new CancellationTokenSource(_ctx.ConnectTimeout, _ctx.Time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _cts.Token);
            await socket.ConnectAsync(target, linked.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            socket.Dispose();
            lock (_ctx.Gate)
            {
                if (State == TcpState.Dialing)
                {
                    _ctx.Drops.Add(DropReason.NoRoute);
                    Emit(TcpFlags.Rst | TcpFlags.Ack, 0, []);
                    Remove();
                }
            }

            return;
        }

        lock (_ctx.Gate)
        {
            if (State != TcpState.Dialing)
            {
                socket.Dispose();
                return;
            }

            _socket = socket;
            State = TcpState.SynReceived;
            SendSyn(ack: true);
        }
    }

    /// <summary>Inbound forward: the host socket exists; open the guest side with our own SYN.</summary>
    public void StartInbound(Socket accepted)
    {
        accepted.NoDelay = true;
        _socket = accepted;
        _rcvShift = ChooseRcvShift();
        State = TcpState.SynSent;
        SendSyn(ack: false);
    }

    private void StartPumps()
    {
        if (_pumpsStarted || _socket is null)
        {
            return;
        }

        _pumpsStarted = true;
        _ = Task.Run(ReadHostAsync);
        _ = Task.Run(WriteHostAsync);
    }

    private async Task ReadHostAsync()
    {
        var buf = new byte[ChunkSize];
        var ct = _cts.Token;
        try
        {
            while (true)
            {
                int room;
                lock (_ctx.Gate)
                {
                    if (State == TcpState.Closed)
                    {
                        return;
                    }

                    room = Math.Min(_sndBuf.Free, buf.Length);
                }

                if (room == 0)
                {
                    // Backpressure: the guest has not acknowledged enough; leave the bytes in the host's socket buffer.
                    await _spaceAvailable.WaitAsync(ct).ConfigureAwait(false);
                    continue;
                }

                var n = await _socket!.ReceiveAsync(buf.AsMemory(0, room), SocketFlags.None, ct).ConfigureAwait(false);
                var pause = n > 0 ? _limiter.Account(n) : TimeSpan.Zero;
                lock (_ctx.Gate)
                {
                    if (State == TcpState.Closed)
                    {
                        return;
                    }

                    _lastActivity = _ctx.Time.GetTimestamp();
                    if (n == 0)
                    {
                        _hostEof = true;
                        TrySend();
                        return;
                    }

                    _sndBuf.Write(buf.AsSpan(0, n));
                    TrySend();
                    if (AbortIfTotalExhausted())
                    {
                        return;
                    }
                }

                if (pause > TimeSpan.Zero)
                {
                    await Task.Delay(pause, _ctx.Time, ct).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            AbortAfterHostFailure(ct);
        }
    }

    /// <summary>Called under the gate after accounting bytes: the network's total-byte limit ends the flow with a RST.</summary>
    private bool AbortIfTotalExhausted()
    {
        if (!_limiter.IsTotalExhausted)
        {
            return false;
        }

        _ctx.Drops.Add(DropReason.LimitReached);
        Abort(sendReset: true);
        return true;
    }

    /// <summary>The host socket failed under a pump: reset the guest unless the flow is already gone or being torn down.</summary>
    private void AbortAfterHostFailure(CancellationToken ct)
    {
        lock (_ctx.Gate)
        {
            if (State != TcpState.Closed && !ct.IsCancellationRequested)
            {
                Abort(sendReset: true);
            }
        }
    }

    private async Task WriteHostAsync()
    {
        var buf = new byte[ChunkSize];
        var ct = _cts.Token;
        try
        {
            while (true)
            {
                int n;
                bool fin;
                lock (_ctx.Gate)
                {
                    if (State == TcpState.Closed)
                    {
                        return;
                    }

                    n = Math.Min(_rcvBuf.Count, buf.Length);
                    _rcvBuf.Peek(0, buf.AsSpan(0, n));
                    fin = _guestFin && _rcvBuf.Count == 0;
                }

                if (n == 0)
                {
                    if (fin)
                    {
                        _socket!.Shutdown(SocketShutdown.Send);
                        lock (_ctx.Gate)
                        {
                            _hostWriteDone = true;
                            MaybeFinish();
                        }

                        return;
                    }

                    await _dataAvailable.WaitAsync(ct).ConfigureAwait(false);
                    continue;
                }

                await _socket!.SendAsync(buf.AsMemory(0, n), SocketFlags.None, ct).ConfigureAwait(false);
                var pause = _limiter.Account(n);
                lock (_ctx.Gate)
                {
                    if (State == TcpState.Closed)
                    {
                        return;
                    }

                    var before = AdvertisedWindow;
                    _rcvBuf.Discard(n);
                    _lastActivity = _ctx.Time.GetTimestamp();
                    // Window update once it has opened meaningfully (RFC 9293 §3.8.6.2.2, receiver SWS avoidance).
                    if (((AdvertisedWindow - before) << _rcvShift) >= Math.Min(_rcvBuf.Capacity / 2, _ctx.Mss) || before == 0)
                    {
                        SendAck();
                    }

                    if (AbortIfTotalExhausted())
                    {
                        return;
                    }
                }

                if (pause > TimeSpan.Zero)
                {
                    await Task.Delay(pause, _ctx.Time, ct).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            AbortAfterHostFailure(ct);
        }
    }

    /// <summary>Tears the connection down at once; with <paramref name="sendReset"/> the guest gets a RST.</summary>
    public void Abort(bool sendReset)
    {
        if (State == TcpState.Closed)
        {
            return;
        }

        if (sendReset && State is not (TcpState.Dialing or TcpState.TimeWait))
        {
            Emit(TcpFlags.Rst | TcpFlags.Ack, _sndNxt, []);
        }

        CloseHost(abortive: true);
        Remove();
    }

    private void CloseHost(bool abortive)
    {
        _cts.Cancel();
        if (_socket is { } s)
        {
            try
            {
                if (abortive)
                {
                    s.LingerState = new LingerOption(true, 0);
                }
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }

            s.Dispose();
        }

        _spaceAvailable.Set();
        _dataAvailable.Set();
    }

    private void Remove()
    {
        if (State != TcpState.Closed)
        {
            State = TcpState.Closed;
            CloseHost(abortive: false);
            _remove(this);
        }
    }
}
