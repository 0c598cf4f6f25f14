using System.Net.Sockets;
using Sandbox86.Network;
using Sandbox86.Network.Wire;
using Sandbox86.Tests.Network.Fakes;

namespace Sandbox86.Tests.Network.Nat;

public sealed class TcpUploadTests
{
    [Fact]
    public async Task Window_scaled_upload_respects_the_advertised_window_and_arrives_intact()
    {
        using var service = new FakeHostService();
        await using var net = new VirtualNetwork(new NetworkOptions { HostPorts = [service.Port], TcpBufferSize = 256 * 1024 });
        await using var g = new FakeGuest(net);
        var dport = (ushort)service.Port;
        g.SendTcp(FakeGuest.Gateway, 42000, dport, 100, 0, TcpFlags.Syn, 65535, default, new TcpOptions(1460, 2, false, null, 0));
        var synAck = (await g.ExpectTcpAsync(t => t.Has(TcpFlags.Syn))).Tcp!.Value;
        Assert.Equal((byte)3, synAck.Options.WindowScale);
        var stackSeq = synAck.Sequence + 1;
        g.SendTcp(FakeGuest.Gateway, 42000, dport, 101, stackSeq, TcpFlags.Ack, 65535);
        using var host = await service.AcceptAsync();

        var payload = new byte[1_000_000];
        new Random(9).NextBytes(payload);
        var reader = Task.Run(async () =>
        {
            var got = new byte[payload.Length];
            var n = 0;
            while (n < got.Length)
            {
                var r = await host.ReceiveAsync(got.AsMemory(n), SocketFlags.None);
                if (r == 0)
                {
                    break;
                }

                n += r;
            }

            return got[..n];
        });

        uint acked = 0;
        long window = synAck.Window;
        var sent = 0;
        while (acked < payload.Length)
        {
            while (sent < payload.Length && sent - acked + 1460 <= window)
            {
                var n = Math.Min(1460, payload.Length - sent);
                g.SendTcp(FakeGuest.Gateway, 42000, dport, 101 + (uint)sent, stackSeq, TcpFlags.Ack, 65535, payload.AsSpan(sent, n));
                sent += n;
            }

            var ack = (await g.ExpectTcpAsync(t => t.Has(TcpFlags.Ack) && !t.Has(TcpFlags.Syn))).Tcp!.Value;
            acked = Math.Max(acked, ack.Acknowledgment - 101);
            window = (long)ack.Window << 3;
            Assert.True(window <= 256 * 1024, "advertised more than the buffer holds");
        }

        g.SendTcp(FakeGuest.Gateway, 42000, dport, 101 + (uint)sent, stackSeq, TcpFlags.Ack | TcpFlags.Fin, 65535);
        Assert.Equal(payload, await reader);
    }
}
