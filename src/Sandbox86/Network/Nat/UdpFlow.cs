using System.Net;
using System.Net.Sockets;
using Sandbox86.Network.Gateway;
using Sandbox86.Network.Wire;

namespace Sandbox86.Network.Nat;

/// <summary>One guest UDP flow and its connected host socket.</summary>
internal sealed class UdpFlow : IDisposable
{
    private readonly GatewayStack _gw;
    private readonly UdpNat _owner;
    private readonly MacAddress _guestMac;
    private readonly Socket _socket;
    private readonly CancellationTokenSource _cts = new();

    public UdpFlow(GatewayStack gw, UdpNat owner, FlowKey key, MacAddress guestMac, IPEndPoint target)
    {
        _gw = gw;
        _owner = owner;
        Key = key;
        _guestMac = guestMac;
        LastActivity = gw.Time.GetTimestamp();
        _socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Connect(target);
        _ = Task.Run(ReceiveAsync);
    }

    public FlowKey Key { get; }

    public long LastActivity { get; private set; }

    public void SendToHost(ReadOnlySpan<byte> data)
    {
        LastActivity = _gw.Time.GetTimestamp();
        _gw.Limiter.Account(data.Length);
        try
        {
            _socket.Send(data);
        }
        catch (SocketException)
        {
            _gw.Drops.Add(DropReason.NoRoute);
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
                _gw.Limiter.Account(n);
                lock (_gw.Gate)
                {
                    LastActivity = _gw.Time.GetTimestamp();
                    if (n > _gw.Options.Mtu - 28)
                    {
                        // Would need IP fragments, which the stack never emits.
                        _gw.Drops.Add(DropReason.Oversize);
                        continue;
                    }

                    _gw.SendUdp(_guestMac, Key.RemoteIp, Key.RemotePort, Key.GuestIp, Key.GuestPort, buf.AsSpan(0, n));
                }
            }
        }
        catch (SocketException) when (!_cts.IsCancellationRequested)
        {
            // ICMP errors from the host side (connection refused) surface here; keep the flow until idle.
            lock (_gw.Gate)
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
        _owner.Remove(this);
    }
}
