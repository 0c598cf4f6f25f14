using Sandbox86.Network.Wire;

namespace Sandbox86.Network.Nat;

internal sealed partial class TcpConnection
{
    private static readonly TimeSpan InitialRto = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MinRto = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxRto = TimeSpan.FromSeconds(60);
    private const int MaxRetries = 12;

    private TimeSpan _rto;
    private TimeSpan? _srtt;
    private TimeSpan _rttvar;
    private long _rtoDeadline, _persistDeadline, _timeWaitDeadline, _lastActivity, _rttStart;
    private uint _rttSeq;
    private bool _rttTiming;
    private int _retries, _persistBackoff;

    private long Deadline(TimeSpan after) =>
        _ctx.Time.GetTimestamp() + (long)(after.TotalSeconds * _ctx.Time.TimestampFrequency);

    private ushort AdvertisedWindow =>
        (ushort)Math.Min(_rcvBuf.Free >> _rcvShift, 65535);

    private void Emit(TcpFlags flags, uint seq, ReadOnlySpan<byte> data, TcpOptions options = default)
    {
        var window = flags.HasFlag(TcpFlags.Syn) ? (ushort)Math.Min(_rcvBuf.Free, 65535) : AdvertisedWindow;
        var ack = flags.HasFlag(TcpFlags.Ack) ? _rcvNxt : 0;
        _emit.SendTcp(GuestMac, Key.RemoteIp, Key.GuestIp,
            new TcpHeader(Key.RemotePort, Key.GuestPort, seq, ack, flags, window, options), data);
    }

    private void SendAck() => Emit(TcpFlags.Ack, _sndNxt, []);

    private void SendSyn(bool ack)
    {
        var options = new TcpOptions((ushort)_ctx.Mss, ack && _rcvShift == 0 ? null : _rcvShift, false, null, 0);
        Emit(ack ? TcpFlags.Syn | TcpFlags.Ack : TcpFlags.Syn, _iss, [], options);
        _sndNxt = _sndMax = _iss + 1;
        if (_rtoDeadline == 0)
        {
            _rtoDeadline = Deadline(_rto);
        }
    }

    /// <summary>Sends whatever the guest's window allows, then the FIN once the host has finished and all data is out.</summary>
    private void TrySend()
    {
        if (State != TcpState.Established)
        {
            return;
        }

        Span<byte> chunk = stackalloc byte[Math.Min(_sndMss, 9000)];
        while (true)
        {
            var offset = (int)(_sndNxt - _sndUna);
            var unsent = _sndBuf.Count - offset;
            var inFlight = _sndNxt - _sndUna;
            var room = _sndWnd > inFlight ? (int)Math.Min(_sndWnd - inFlight, int.MaxValue) : 0;
            var n = Math.Min(Math.Min(unsent, room), _sndMss);
            if (n <= 0)
            {
                if (unsent > 0 && room == 0 && inFlight == 0 && _persistDeadline == 0)
                {
                    // Zero window and nothing in flight: only a probe can learn when it opens (RFC 9293 §3.8.6.1).
                    _persistDeadline = Deadline(_rto);
                }

                break;
            }

            var data = chunk[..n];
            _sndBuf.Peek(offset, data);
            Emit(unsent == n ? TcpFlags.Ack | TcpFlags.Psh : TcpFlags.Ack, _sndNxt, data);
            if (!_rttTiming && _sndNxt == _sndMax)
            {
                _rttTiming = true;
                _rttSeq = _sndNxt + (uint)n;
                _rttStart = _ctx.Time.GetTimestamp();
            }

            _sndNxt += (uint)n;
            if (Lt(_sndMax, _sndNxt))
            {
                _sndMax = _sndNxt;
            }

            if (_rtoDeadline == 0)
            {
                _rtoDeadline = Deadline(_rto);
            }
        }

        if (_hostEof && !_finAcked && _sndNxt - _sndUna == (uint)_sndBuf.Count)
        {
            if (!_finSent)
            {
                _finSent = true;
                _finSeq = _sndNxt;
            }

            Emit(TcpFlags.Fin | TcpFlags.Ack, _sndNxt, []);
            _sndNxt++;
            if (Lt(_sndMax, _sndNxt))
            {
                _sndMax = _sndNxt;
            }

            if (_rtoDeadline == 0)
            {
                _rtoDeadline = Deadline(_rto);
            }
        }
    }

    private void SampleRtt(uint ack)
    {
        if (!_rttTiming || Lt(ack, _rttSeq))
        {
            return;
        }

        _rttTiming = false;
        var r = _ctx.Time.GetElapsedTime(_rttStart);
        // RFC 6298 §2.
        if (_srtt is not { } srtt)
        {
            _srtt = r;
            _rttvar = r / 2;
        }
        else
        {
            _rttvar = (0.75 * _rttvar) + (0.25 * (srtt - r).Duration());
            _srtt = (0.875 * srtt) + (0.125 * r);
        }

        var rto = _srtt.Value + (4 * _rttvar);
        _rto = rto < MinRto ? MinRto : rto > MaxRto ? MaxRto : rto;
    }

    public void Poll(long now)
    {
        if (State == TcpState.Closed)
        {
            return;
        }

        if (State == TcpState.TimeWait)
        {
            if (now >= _timeWaitDeadline)
            {
                Remove();
            }

            return;
        }

        if (_ctx.Time.GetElapsedTime(_lastActivity, now) > _ctx.TcpIdleTimeout)
        {
            Abort(sendReset: true);
            return;
        }

        if (_rtoDeadline != 0 && now >= _rtoDeadline)
        {
            OnRetransmitTimeout();
        }

        if (_persistDeadline != 0 && now >= _persistDeadline && State == TcpState.Established)
        {
            // Probe with an already-acknowledged sequence number: the guest answers with its current window.
            Emit(TcpFlags.Ack, _sndUna - 1, []);
            _persistBackoff = Math.Min(_persistBackoff + 1, 8);
            var wait = _rto * (1 << _persistBackoff);
            _persistDeadline = Deadline(wait > MaxRto ? MaxRto : wait);
        }
    }

    private void OnRetransmitTimeout()
    {
        if (++_retries > MaxRetries)
        {
            Abort(sendReset: true);
            return;
        }

        var backedOff = _rto * 2;
        _rto = backedOff > MaxRto ? MaxRto : backedOff;
        _rttTiming = false;
        _rtoDeadline = 0;
        switch (State)
        {
            case TcpState.SynReceived:
                SendSyn(ack: true);
                break;
            case TcpState.SynSent:
                SendSyn(ack: false);
                break;
            case TcpState.Established:
                _sndNxt = _sndUna;
                TrySend();
                break;
            default:
                break;
        }

        if (_rtoDeadline == 0 && _sndUna != _sndMax)
        {
            _rtoDeadline = Deadline(_rto);
        }
    }
}
