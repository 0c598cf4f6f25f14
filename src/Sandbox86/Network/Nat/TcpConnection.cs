using Sandbox86.Network.Gateway;
using Sandbox86.Network.Policy;
using Sandbox86.Network.Wire;

namespace Sandbox86.Network.Nat;

/// <summary>
/// One guest TCP connection terminated in the stack and spliced to a host socket. State is touched only under the
/// network's lock; the host pumps take the lock for each step. Both directions are bounded by
/// <see cref="NetworkOptions.TcpBufferSize"/>, and the windows we advertise tell the truth about that bound.
/// </summary>
// Lifetime ends in Abort/Remove (socket closed, token cancelled); the signals are left to the GC because pump
// tasks may still be waking up on them.
#pragma warning disable CA1001
internal sealed partial class TcpConnection
#pragma warning restore CA1001
{
    private const int MaxOutOfOrderBytes = 64 * 1024;
    private const int MaxOutOfOrderSegments = 64;

    private readonly GatewayContext _ctx;
    private readonly IFrameEmitter _emit;
    private readonly FlowLimiter _limiter;
    private readonly Action<TcpConnection> _remove;
    private readonly ByteRing _sndBuf;
    private readonly ByteRing _rcvBuf;
    private readonly Dictionary<uint, byte[]> _ooo = [];
    private int _oooBytes;

    // Toward the guest.
    private uint _iss, _sndUna, _sndNxt, _sndMax, _finSeq;
    private uint _sndWnd;
    private byte _sndShift;
    private int _sndMss = 536;
    private bool _hostEof, _finSent, _finAcked;
    private int _dupAcks;

    // From the guest.
    private uint _irs, _rcvNxt;
    private byte _rcvShift;
    private bool _guestFin, _activeClose;

    public TcpConnection(GatewayContext ctx, IFrameEmitter emit, FlowLimiter limiter, Action<TcpConnection> remove, FlowKey key,
        MacAddress guestMac)
    {
        _ctx = ctx;
        _emit = emit;
        _limiter = limiter;
        _remove = remove;
        Key = key;
        GuestMac = guestMac;
        _sndBuf = new ByteRing(ctx.TcpBufferSize);
        _rcvBuf = new ByteRing(ctx.TcpBufferSize);
        _iss = (uint)Random.Shared.Next();
        _sndUna = _sndNxt = _sndMax = _iss;
        _lastActivity = ctx.Time.GetTimestamp();
        _rto = InitialRto;
    }

    public FlowKey Key { get; }

    public MacAddress GuestMac { get; }

    public TcpState State { get; private set; }

    internal int SendBuffered => _sndBuf.Count;

    internal int ReceiveBuffered => _rcvBuf.Count;

    private static bool Lt(uint a, uint b) => (int)(a - b) < 0;

    private static bool Le(uint a, uint b) => (int)(a - b) <= 0;

    private void ApplySynOptions(in TcpHeader syn, bool weOfferedScale)
    {
        _sndMss = Math.Clamp((int)(syn.Options.Mss ?? 536), 64, _ctx.Mss);
        if (syn.Options.WindowScale is { } ws && weOfferedScale)
        {
            _sndShift = ws;
        }
        else
        {
            _sndShift = 0;
            _rcvShift = 0;
        }

        _sndWnd = syn.Window;
    }

    private byte ChooseRcvShift()
    {
        byte shift = 0;
        while ((_rcvBuf.Capacity >> shift) > 65535)
        {
            shift++;
        }

        return shift;
    }

    /// <summary>A segment from the guest for this connection.</summary>
    public void OnSegment(in TcpHeader tcp, ReadOnlySpan<byte> data)
    {
        _lastActivity = _ctx.Time.GetTimestamp();
        if (tcp.Has(TcpFlags.Rst))
        {
            OnReset(tcp);
            return;
        }

        switch (State)
        {
            case TcpState.Dialing or TcpState.Closed:
                return;
            case TcpState.TimeWait:
                if (tcp.Has(TcpFlags.Fin))
                {
                    SendAck();
                }

                return;
            case TcpState.SynSent:
                OnSynSentSegment(tcp);
                return;
            case TcpState.SynReceived:
                if (tcp.Has(TcpFlags.Syn) && !tcp.Has(TcpFlags.Ack))
                {
                    if (tcp.Sequence == _irs)
                    {
                        SendSyn(ack: true);
                    }

                    return;
                }

                if (!tcp.Has(TcpFlags.Ack) || tcp.Acknowledgment != _iss + 1)
                {
                    _ctx.Drops.Add(DropReason.TcpInvalid);
                    return;
                }

                Establish(tcp.Acknowledgment);
                break;
            default:
                break;
        }

        if (tcp.Has(TcpFlags.Syn))
        {
            // A SYN inside an established connection: challenge ACK (RFC 5961 §4).
            SendAck();
            return;
        }

        if (tcp.Has(TcpFlags.Ack))
        {
            OnAck(tcp, data.Length);
            if (State == TcpState.Closed)
            {
                return;
            }
        }

        if (data.Length > 0 || tcp.Has(TcpFlags.Fin))
        {
            OnData(tcp, data);
        }

        MaybeFinish();
    }

    private void OnReset(in TcpHeader tcp)
    {
        if (State == TcpState.SynSent)
        {
            if (tcp.Has(TcpFlags.Ack) && tcp.Acknowledgment == _iss + 1)
            {
                Abort(sendReset: false);
            }

            return;
        }

        // RFC 5961 §3: only a reset inside the window counts; blind resets are ignored.
        var window = Math.Max((uint)_rcvBuf.Free, 1u);
        if (State is TcpState.Dialing || (Le(_rcvNxt, tcp.Sequence) && Lt(tcp.Sequence, _rcvNxt + window)))
        {
            Abort(sendReset: false);
        }
    }

    private void OnSynSentSegment(in TcpHeader tcp)
    {
        if (!tcp.Has(TcpFlags.Ack) || tcp.Acknowledgment != _iss + 1)
        {
            if (tcp.Has(TcpFlags.Ack))
            {
                _emit.SendTcp(GuestMac, Key.RemoteIp, Key.GuestIp,
                    new TcpHeader(Key.RemotePort, Key.GuestPort, tcp.Acknowledgment, 0, TcpFlags.Rst, 0, default), []);
            }

            return;
        }

        if (!tcp.Has(TcpFlags.Syn))
        {
            return;
        }

        _irs = tcp.Sequence;
        _rcvNxt = _irs + 1;
        ApplySynOptions(tcp, weOfferedScale: true);
        Establish(tcp.Acknowledgment);
        SendAck();
    }

    private void Establish(uint ack)
    {
        State = TcpState.Established;
        _sndUna = ack;
        _retries = 0;
        _rtoDeadline = 0;
        _rto = InitialRto;
        StartPumps();
    }

    private void OnAck(in TcpHeader tcp, int dataLength)
    {
        var ack = tcp.Acknowledgment;
        if (Lt(_sndMax, ack))
        {
            // Acknowledges something never sent.
            SendAck();
            return;
        }

        var window = (uint)tcp.Window << _sndShift;
        if (Lt(_sndUna, ack))
        {
            var acked = ack - _sndUna;
            var dataAcked = (int)Math.Min(acked, (uint)_sndBuf.Count);
            _sndBuf.Discard(dataAcked);
            _sndUna = ack;
            if (Lt(_sndNxt, _sndUna))
            {
                _sndNxt = _sndUna;
            }

            if (_finSent && ack == _finSeq + 1)
            {
                _finAcked = true;
            }

            SampleRtt(ack);
            _retries = 0;
            _dupAcks = 0;
            _rtoDeadline = _sndUna == _sndMax ? 0 : Deadline(_rto);
            _spaceAvailable.Set();
        }
        else if (ack == _sndUna && dataLength == 0 && window == _sndWnd && _sndUna != _sndMax && !tcp.Has(TcpFlags.Fin))
        {
            if (++_dupAcks == 3)
            {
                // Fast retransmit (RFC 5681 §3.2), go-back-N from the hole.
                _sndNxt = _sndUna;
                _rttTiming = false;
            }
        }

        _sndWnd = window;
        if (_sndWnd > 0)
        {
            _persistDeadline = 0;
            _persistBackoff = 0;
        }

        TrySend();
    }

    private void OnData(in TcpHeader tcp, ReadOnlySpan<byte> data)
    {
        if (_guestFin)
        {
            SendAck();
            return;
        }

        var seq = tcp.Sequence;
        var fin = tcp.Has(TcpFlags.Fin);
        if (Lt(seq, _rcvNxt))
        {
            var trim = _rcvNxt - seq;
            if (trim > (uint)data.Length)
            {
                SendAck();
                return;
            }

            data = data[(int)trim..];
            seq = _rcvNxt;
        }

        if (seq == _rcvNxt)
        {
            var n = _rcvBuf.Write(data);
            _rcvNxt += (uint)n;
            if (fin && n == data.Length)
            {
                _rcvNxt++;
                _guestFin = true;
                _activeClose = !_finSent;
            }
            else
            {
                DrainOutOfOrder();
            }

            if (n > 0 || _guestFin)
            {
                _dataAvailable.Set();
            }
        }
        else if (data.Length > 0 && seq - _rcvNxt + (uint)data.Length <= (uint)_rcvBuf.Free
            && _oooBytes + data.Length <= MaxOutOfOrderBytes && _ooo.Count < MaxOutOfOrderSegments && !_ooo.ContainsKey(seq))
        {
            _ooo[seq] = data.ToArray();
            _oooBytes += data.Length;
        }

        SendAck();
    }

    private void DrainOutOfOrder()
    {
        var progressed = true;
        while (progressed && _ooo.Count > 0)
        {
            progressed = false;
            foreach (var (seq, bytes) in _ooo)
            {
                if (!Le(seq, _rcvNxt))
                {
                    continue;
                }

                _ooo.Remove(seq);
                _oooBytes -= bytes.Length;
                var skip = _rcvNxt - seq;
                if (skip < (uint)bytes.Length)
                {
                    _rcvNxt += (uint)_rcvBuf.Write(bytes.AsSpan((int)skip));
                }

                progressed = true;
                break;
            }
        }
    }

    private void MaybeFinish()
    {
        if (State != TcpState.Established || !_guestFin || !_finAcked || !_hostWriteDone)
        {
            return;
        }

        if (_activeClose)
        {
            Remove();
        }
        else
        {
            State = TcpState.TimeWait;
            _timeWaitDeadline = Deadline(_ctx.TimeWait);
            _rtoDeadline = 0;
            CloseHost(abortive: false);
        }
    }
}
