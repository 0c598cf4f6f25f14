using System.Net;
using System.Net.Sockets;
using Sandbox86.Network.Gateway;
using Sandbox86.Network.Policy;
using Sandbox86.Network.Wire;

namespace Sandbox86.Network.Nat;

/// <summary>One guest UDP flow and its connected host socket.</summary>
internal sealed class UdpFlow : IDisposable
{
    private readonly GatewayContext _ctx;
    private readonly IFrameEmitter _emit;
    private readonly FlowLimiter _limiter;
    private readonly Action<UdpFlow> _remove;
    private readonly MacAddress _guestMac;
    private readonly Socket _socket;
    private readonly CancellationTokenSource _cts = new();

    public UdpFlow(GatewayContext ctx, IFrameEmitter emit, FlowLimiter limiter, Action<UdpFlow> remove, FlowKey key, MacAddress guestMac,
        IPEndPoint target)
    {
        _ctx = ctx;
        _emit = emit;
        _limiter = limiter;
        _remove = remove;
        Key = key;
        _guestMac = guestMac;
        LastActivity = ctx.Time.GetTimestamp();
        _socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Connect(target);
        _ = Task.Run(ReceiveAsync);
    }

    public FlowKey Key { get; }

    public long LastActivity { get; private set; }

    public void SendToHost(ReadOnlySpan<byte> data)
    {
        LastActivity = _ctx.Time.GetTimestamp();
        _limiter.Account(data.Length);
        try
        {
            _socket.Send(data);
        }
        catch (SocketException)
        {
            _ctx.Drops.Add(DropReason.NoRoute);
        }
    }

    private async Task ReceiveAsync()
    {
        var buf = new byte[65536];
        try
        {
            while (true)
            {
                var n = await _socket.ReceiveAsync(buf, SocketFlags.None, _cts.Token).ConfigureAwait(false);
                _limiter.Account(n);
                lock (_ctx.Gate)
                {
                    LastActivity = _ctx.Time.GetTimestamp();
                    if (n > _ctx.MaxUdpPayload)
                    {
                        // Would need IP fragments, which the stack never emits.
                        _ctx.Drops.Add(DropReason.Oversize);
                        continue;
                    }

                    _emit.SendUdp(_guestMac, Key.RemoteIp, Key.RemotePort, Key.GuestIp, Key.GuestPort, buf.AsSpan(0, n));
                }
            }
        }
        catch (SocketException) when (!_cts.IsCancellationRequested)
        {
            // ICMP errors from the host side (connection refused) surface here; keep the flow until idle.
            lock (_ctx.Gate)
            {
                Close();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    public void Close() => Dispose();

    public void Dispose()
    {
        _cts.Cancel();
        _socket.Dispose();
        _remove(this);
    }
}
