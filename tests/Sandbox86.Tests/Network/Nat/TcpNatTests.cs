using Sandbox86.TestSupport;
using System.Net.Sockets;
using System.Text;
using Sandbox86.Network;
using Sandbox86.Network.Wire;
using Sandbox86.Tests.Network.Fakes;

namespace Sandbox86.Tests.Network.Nat;

public sealed class TcpNatTests
{
    private const uint GuestIss = 1000;
    private static readonly string[] Parts = ["hello ", "world", "!!"];

    private static async Task<uint> ConnectAsync(FakeGuest g, Ipv4Address dst, ushort srcPort, ushort dstPort, ushort window = 65535)
    {
        g.SendTcp(dst, srcPort, dstPort, GuestIss, 0, TcpFlags.Syn, window, default, new TcpOptions(1460, null, true, null, 0));
        var synAck = await g.ExpectTcpAsync(t => t.Has(TcpFlags.Syn));
        Assert.True(synAck.Tcp!.Value.Has(TcpFlags.Ack));
        Assert.Equal(GuestIss + 1, synAck.Tcp.Value.Acknowledgment);
        Assert.Equal((ushort)1460, synAck.Tcp.Value.Options.Mss);
        var stackSeq = synAck.Tcp.Value.Sequence + 1;
        g.SendTcp(dst, srcPort, dstPort, GuestIss + 1, stackSeq, TcpFlags.Ack, window);
        return stackSeq;
    }

    private static NetworkOptions HostAccess(int port, ManualTimeProvider? _ = null) => new() { HostPorts = [port] };

    [Fact]
    public async Task Transfer_both_ways_survives_reordering_duplication_and_loss_then_closes_cleanly()
    {
        var time = new ManualTimeProvider();
        using var service = new FakeHostService();
        await using var net = new VirtualNetwork(HostAccess(service.Port), time);
        await using var g = new FakeGuest(net);
        var stackSeq = await ConnectAsync(g, FakeGuest.Gateway, 40000, (ushort)service.Port);
        using var host = await service.AcceptAsync();

        // Guest → host: segment 2 before 1, then 1 twice, then 3.
        var parts = Parts.Select(Encoding.ASCII.GetBytes).ToArray();
        var seq1 = GuestIss + 1;
        var seq2 = seq1 + (uint)parts[0].Length;
        var seq3 = seq2 + (uint)parts[1].Length;
        g.SendTcp(FakeGuest.Gateway, 40000, (ushort)service.Port, seq2, stackSeq, TcpFlags.Ack, 65535, parts[1]);
        g.SendTcp(FakeGuest.Gateway, 40000, (ushort)service.Port, seq1, stackSeq, TcpFlags.Ack, 65535, parts[0]);
        g.SendTcp(FakeGuest.Gateway, 40000, (ushort)service.Port, seq1, stackSeq, TcpFlags.Ack, 65535, parts[0]);
        g.SendTcp(FakeGuest.Gateway, 40000, (ushort)service.Port, seq3, stackSeq, TcpFlags.Ack | TcpFlags.Psh, 65535, parts[2]);
        var got = new byte[13];
        var read = 0;
        while (read < got.Length)
        {
            read += await host.ReceiveAsync(got.AsMemory(read), SocketFlags.None);
        }

        Assert.Equal("hello world!!", Encoding.ASCII.GetString(got));
        var guestNxt = seq3 + (uint)parts[2].Length;

        // Host → guest: 200 KB; the first data segment is lost once.
        var payload = new byte[200_000];
        new Random(5).NextBytes(payload);
        var send = host.SendAsync(payload, SocketFlags.None);
        var received = new MemoryStream();
        var expected = stackSeq;
        var dropped = false;
        while (received.Length < payload.Length)
        {
            Received r;
            try
            {
                r = await g.ExpectTcpAsync(t => true, 1000);
            }
            catch (TimeoutException)
            {
                time.Advance(TimeSpan.FromSeconds(2));
                net.Poll();
                continue;
            }

            if (r.Payload.Length == 0)
            {
                continue;
            }

            if (!dropped)
            {
                dropped = true;
                continue;
            }

            if (r.Tcp!.Value.Sequence == expected)
            {
                received.Write(r.Payload);
                expected += (uint)r.Payload.Length;
            }

            g.SendTcp(FakeGuest.Gateway, 40000, (ushort)service.Port, guestNxt, expected, TcpFlags.Ack, 65535);
        }

        await send;
        Assert.Equal(payload, received.ToArray());

        // Host closes first: the guest sees FIN, acknowledges, closes its side; the host reads EOF.
        host.Shutdown(SocketShutdown.Send);
        var fin = await g.ExpectTcpAsync(t => t.Has(TcpFlags.Fin));
        Assert.Equal(expected, fin.Tcp!.Value.Sequence);
        g.SendTcp(FakeGuest.Gateway, 40000, (ushort)service.Port, guestNxt, expected + 1, TcpFlags.Ack | TcpFlags.Fin, 65535);
        Assert.Equal(0, await host.ReceiveAsync(new byte[1], SocketFlags.None));
        await g.ExpectTcpAsync(t => t.Has(TcpFlags.Ack) && t.Acknowledgment == guestNxt + 1);

        // Active close on our side: TIME_WAIT, then gone.
        await WaitUntil(() => net.Gateway.Tcp.Connections.SingleOrDefault()?.State == Sandbox86.Network.Nat.TcpState.TimeWait);
        time.Advance(TimeSpan.FromSeconds(31));
        net.Poll();
        Assert.Equal(0, net.Counters.ActiveTcpFlows);
    }

    internal static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }

    [Fact]
    public async Task Guest_close_first_half_closes_the_host_socket_and_data_still_flows_back()
    {
        using var service = new FakeHostService();
        await using var net = new VirtualNetwork(HostAccess(service.Port));
        await using var g = new FakeGuest(net);
        var stackSeq = await ConnectAsync(g, FakeGuest.Gateway, 40001, (ushort)service.Port);
        using var host = await service.AcceptAsync();
        g.SendTcp(FakeGuest.Gateway, 40001, (ushort)service.Port, GuestIss + 1, stackSeq, TcpFlags.Ack | TcpFlags.Fin, 65535, "bye"u8);
        var buf = new byte[16];
        Assert.Equal(3, await host.ReceiveAsync(buf, SocketFlags.None));
        Assert.Equal(0, await host.ReceiveAsync(buf, SocketFlags.None));
        await host.SendAsync("late"u8.ToArray(), SocketFlags.None);
        var data = await g.ExpectTcpAsync(t => true, 5000);
        while (data.Payload.Length == 0)
        {
            data = await g.ExpectTcpAsync(t => true, 5000);
        }

        Assert.Equal("late", Encoding.ASCII.GetString(data.Payload));
        host.Shutdown(SocketShutdown.Send);
        var fin = await g.ExpectTcpAsync(t => t.Has(TcpFlags.Fin));
        g.SendTcp(FakeGuest.Gateway, 40001, (ushort)service.Port, GuestIss + 5, fin.Tcp!.Value.Sequence + 1, TcpFlags.Ack, 65535);
        await WaitUntil(() => net.Counters.ActiveTcpFlows == 0);
    }

    [Fact]
    public async Task Refused_dial_resets_the_guest()
    {
        var port = FakeHostService.ClosedPort();
        await using var net = new VirtualNetwork(new NetworkOptions { Policy = new EgressPolicyOptions { Allow = ["127.0.0.1/32"] } });
        await using var g = new FakeGuest(net);
        g.SendTcp(Ipv4Address.Parse("127.0.0.1"), 40002, (ushort)port, GuestIss, 0, TcpFlags.Syn, 65535);
        var rst = await g.ExpectTcpAsync(t => t.Has(TcpFlags.Rst));
        Assert.Equal(GuestIss + 1, rst.Tcp!.Value.Acknowledgment);
        Assert.Equal(0, net.Counters.ActiveTcpFlows);
    }

    [Fact]
    public async Task Loopback_is_denied_by_default_with_a_reset_and_a_count()
    {
        using var service = new FakeHostService();
        var log = new ListLogger();
        await using var net = new VirtualNetwork(new NetworkOptions { Logger = log });
        await using var g = new FakeGuest(net);
        g.SendTcp(Ipv4Address.Parse("127.0.0.1"), 40003, (ushort)service.Port, GuestIss, 0, TcpFlags.Syn, 65535);
        await g.ExpectTcpAsync(t => t.Has(TcpFlags.Rst));
        Assert.Equal(1, net.Counters.Drops[DropReason.PolicyDenied]);
        // Host access to a port that was not allowed is denied too.
        g.SendTcp(FakeGuest.Gateway, 40004, (ushort)service.Port, GuestIss, 0, TcpFlags.Syn, 65535);
        await g.ExpectTcpAsync(t => t.Has(TcpFlags.Rst));
        Assert.Equal(2, net.Counters.Drops[DropReason.PolicyDenied]);
        // Every denial is also logged at debug level, naming what was denied.
        Assert.Contains(log.Lines, l => l.Contains($"127.0.0.1:{service.Port}", StringComparison.Ordinal) && l.Contains("egress policy", StringComparison.Ordinal));
        Assert.Contains(log.Lines, l => l.Contains($"host port {service.Port}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Zero_window_holds_data_and_a_persist_probe_reopens_it()
    {
        var time = new ManualTimeProvider();
        using var service = new FakeHostService();
        await using var net = new VirtualNetwork(HostAccess(service.Port), time);
        await using var g = new FakeGuest(net);
        var stackSeq = await ConnectAsync(g, FakeGuest.Gateway, 40005, (ushort)service.Port, window: 0);
        using var host = await service.AcceptAsync();
        await host.SendAsync(new byte[1000], SocketFlags.None);
        Assert.True(await g.QuietAsync(r => r.Payload.Length > 0));

        Received? probe = null;
        for (var i = 0; i < 20 && probe is null; i++)
        {
            time.Advance(TimeSpan.FromSeconds(2));
            net.Poll();
            try
            {
                probe = await g.ExpectTcpAsync(t => t.Sequence == stackSeq - 1, 200);
            }
            catch (TimeoutException)
            {
            }
        }

        Assert.NotNull(probe);
        g.SendTcp(FakeGuest.Gateway, 40005, (ushort)service.Port, GuestIss + 1, stackSeq, TcpFlags.Ack, 65535);
        var data = await g.ExpectAsync(r => r.Payload.Length > 0);
        Assert.Equal(stackSeq, data.Tcp!.Value.Sequence);
        Assert.Equal(1000, data.Payload.Length);
    }

    [Fact]
    public async Task A_guest_that_never_acknowledges_cannot_make_the_stack_buffer_more_than_its_bound()
    {
        using var service = new FakeHostService();
        var options = HostAccess(service.Port) with { TcpBufferSize = 64 * 1024 };
        await using var net = new VirtualNetwork(options);
        await using var g = new FakeGuest(net);
        await ConnectAsync(g, FakeGuest.Gateway, 40006, (ushort)service.Port, window: 1000);
        using var host = await service.AcceptAsync();
        host.SendBufferSize = 16 * 1024;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var sent = 0L;
        var pump = Task.Run(async () =>
        {
            var chunk = new byte[16 * 1024];
            try
            {
                while (true)
                {
                    sent += await host.SendAsync(chunk, SocketFlags.None, cts.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        await Task.Delay(800);
        var conn = net.Gateway.Tcp.Connections.Single();
        Assert.True(conn.SendBuffered <= 64 * 1024);
        Assert.True(Interlocked.Read(ref sent) < 16L * 1024 * 1024, "the host kept writing: nothing pushed back");
        await cts.CancelAsync();
        await pump;
    }

    [Fact]
    public async Task Guest_reset_aborts_the_host_connection()
    {
        using var service = new FakeHostService();
        await using var net = new VirtualNetwork(HostAccess(service.Port));
        await using var g = new FakeGuest(net);
        var stackSeq = await ConnectAsync(g, FakeGuest.Gateway, 40007, (ushort)service.Port);
        using var host = await service.AcceptAsync();
        g.SendTcp(FakeGuest.Gateway, 40007, (ushort)service.Port, GuestIss + 1, stackSeq, TcpFlags.Rst, 0);
        // An abort reaches the host as RST (ConnectionReset on receive); a graceful close would be a
        // 0-byte read (FIN), which must fail this test.
        var buf = new byte[1];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var ex = await Assert.ThrowsAsync<SocketException>(async () => await host.ReceiveAsync(buf, SocketFlags.None, cts.Token));
        Assert.Equal(SocketError.ConnectionReset, ex.SocketErrorCode);
        Assert.Equal(0, net.Counters.ActiveTcpFlows);
    }

    [Fact]
    public async Task Host_reset_resets_the_guest()
    {
        using var service = new FakeHostService();
        await using var net = new VirtualNetwork(HostAccess(service.Port));
        await using var g = new FakeGuest(net);
        await ConnectAsync(g, FakeGuest.Gateway, 40008, (ushort)service.Port);
        var host = await service.AcceptAsync();
        host.LingerState = new System.Net.Sockets.LingerOption(true, 0);
        host.Dispose();
        await g.ExpectTcpAsync(t => t.Has(TcpFlags.Rst));
    }

    [Fact]
    public async Task Flow_limit_refuses_extra_connections()
    {
        using var service = new FakeHostService();
        await using var net = new VirtualNetwork(HostAccess(service.Port) with { Limits = new NetworkLimits { MaxConcurrentFlows = 1 } });
        await using var g = new FakeGuest(net);
        await ConnectAsync(g, FakeGuest.Gateway, 40009, (ushort)service.Port);
        g.SendTcp(FakeGuest.Gateway, 40010, (ushort)service.Port, GuestIss, 0, TcpFlags.Syn, 65535);
        await g.ExpectTcpAsync(t => t.Has(TcpFlags.Rst) && t.DestinationPort == 40010);
        Assert.Equal(1, net.Counters.Drops[DropReason.LimitReached]);
    }
}
