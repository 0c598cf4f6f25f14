using System.Net;
using System.Threading.Channels;
using Sandbox86.Network;
using Sandbox86.Network.Gateway;
using Sandbox86.Network.Wire;

namespace Sandbox86.Tests.Network.Fakes;

/// <summary>
/// A scripted guest NIC (PgServerMock pattern): emits hand-built frames into a port and lets the test await the
/// frames the stack sends back. <see cref="DropIncoming"/> injects loss on the way to the guest.
/// </summary>
internal sealed class FakeGuest : IAsyncDisposable
{
    public static readonly Ipv4Address Gateway = Ipv4Address.Parse("10.0.2.2");
    public static readonly Ipv4Address Dns = Ipv4Address.Parse("10.0.2.3");
    private readonly Channel<byte[]> _inbox = Channel.CreateUnbounded<byte[]>();

    public FakeGuest(VirtualNetwork net, string name = "guest", ulong mac = 0x5254_0012_3456, string ip = "10.0.2.15")
    {
        Mac = new MacAddress(mac);
        Ip = Ipv4Address.Parse(ip);
        Port = net.AttachPort(name, frame =>
        {
            _inbox.Writer.TryWrite(frame.ToArray());
            return ValueTask.CompletedTask;
        });
    }

    public INetworkPort Port { get; }
    public MacAddress Mac { get; }
    public Ipv4Address Ip { get; set; }

    public Func<Received, bool>? DropIncoming { get; set; }

    public void Send(byte[] frame) => Port.Receive(frame);

    public void SendTcp(Ipv4Address dst, ushort srcPort, ushort dstPort, uint seq, uint ack, TcpFlags flags, ushort window,
        ReadOnlySpan<byte> data = default, TcpOptions options = default) =>
        Send(FrameBuilder.Tcp(GatewayStack.Mac, Mac, Ip, dst, new TcpHeader(srcPort, dstPort, seq, ack, flags, window, options), data));

    /// <summary>A DHCP client message from this NIC, sent as a real client does before it has an address (0.0.0.0 to broadcast).</summary>
    public byte[] Dhcp(byte type, Ipv4Address? requested = null, uint xid = 0x1234)
    {
        var m = new DhcpMessage
        {
            Op = DhcpMessage.BootRequest, TransactionId = xid, ClientMac = Mac, MessageType = type, RequestedIp = requested,
        };
        var b = new byte[m.Length];
        m.Write(b);
        return FrameBuilder.Udp(MacAddress.Broadcast, Mac, Ipv4Address.Any, Ipv4Address.Broadcast, 68, 67, b);
    }

    public void SendUdp(Ipv4Address dst, ushort srcPort, ushort dstPort, ReadOnlySpan<byte> data) =>
        Send(FrameBuilder.Udp(GatewayStack.Mac, Mac, Ip, dst, srcPort, dstPort, data));

    public async Task<Received> ExpectAsync(Func<Received, bool> match, int timeoutMs = 5000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        while (true)
        {
            byte[] f;
            try
            {
                f = await _inbox.Reader.ReadAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("The stack did not send the expected frame.");
            }

            var r = Received.Parse(f);
            if (DropIncoming?.Invoke(r) == true)
            {
                continue;
            }

            if (match(r))
            {
                return r;
            }
        }
    }

    public Task<Received> ExpectTcpAsync(Func<TcpHeader, bool> match, int timeoutMs = 5000) =>
        ExpectAsync(r => r.Tcp is { } t && match(t), timeoutMs);

    /// <summary>True when nothing matching arrives within <paramref name="ms"/>.</summary>
    public async Task<bool> QuietAsync(Func<Received, bool> match, int ms = 300)
    {
        try
        {
            await ExpectAsync(match, ms);
            return false;
        }
        catch (TimeoutException)
        {
            return true;
        }
    }

    public static IPEndPoint Loopback(int port) => new(IPAddress.Loopback, port);

    public ValueTask DisposeAsync() => Port.DisposeAsync();
}
