using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Sandbox86.Network;
using Sandbox86.Network.Gateway;
using Sandbox86.Network.Wire;

namespace Sandbox86.Bench.Network;

/// <summary>
/// Stack-only download throughput: a host service on 127.0.0.1 streams bytes through TCP NAT to an in-process
/// synthetic guest that acknowledges every segment at once. Measures the C# stack, not v86.
/// </summary>
internal static class RelayThroughput
{
    private const int Bytes = 256 * 1024 * 1024;
    private const int Runs = 5;

    public static async Task<int> RunAsync()
    {
        var results = new List<double>();
        for (var i = 0; i < Runs; i++)
        {
            var mbps = await OnceAsync();
            results.Add(mbps);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run {i + 1}: {mbps:F0} Mbit/s"));
        }

        results.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"relay-throughput (stack, download, {Bytes >> 20} MiB x {Runs}): median {results[Runs / 2]:F0} Mbit/s"));
        return 0;
    }

    private static async Task<double> OnceAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var net = new VirtualNetwork(new NetworkOptions { HostPorts = [port], Mtu = 1500 });
        var guestMac = new MacAddress(0x5254_0000_0001);
        var guestIp = Ipv4Address.Parse("10.0.2.15");
        var gw = Ipv4Address.Parse("10.0.2.2");
        const ushort guestPort = 40000;
        const uint iss = 1;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long received = 0;
        uint expected = 0;
        INetworkPort? p = null;

        void Send(TcpFlags flags, uint seq, uint ack) =>
            p!.Receive(FrameBuilder.Tcp(GatewayStack.Mac, guestMac, guestIp, gw,
                new TcpHeader(guestPort, (ushort)port, seq, ack, flags, 65535, flags.HasFlag(TcpFlags.Syn) ? new TcpOptions(1460, 7, false, null, 0) : default), []));

        p = net.AttachPort("bench", frame =>
        {
            var f = frame.Span;
            if (!Ipv4Header.TryParse(f[14..], out var ip, out var hl, out _) || ip.Protocol != IpProtocol.Tcp
                || !TcpHeader.TryParse(f.Slice(14 + hl, ip.PayloadLength), ip.Source, ip.Destination, out var tcp, out var thl, out _))
            {
                return ValueTask.CompletedTask;
            }

            var len = ip.PayloadLength - thl;
            if (tcp.Has(TcpFlags.Syn))
            {
                expected = tcp.Sequence + 1;
                Send(TcpFlags.Ack, iss + 1, expected);
            }
            else if (len > 0 && tcp.Sequence == expected)
            {
                expected += (uint)len;
                Send(TcpFlags.Ack, iss + 1, expected);
                if ((received += len) >= Bytes)
                {
                    done.TrySetResult();
                }
            }

            return ValueTask.CompletedTask;
        });

        Send(TcpFlags.Syn, iss, 0);
        using var host = await listener.AcceptSocketAsync();
        var sw = Stopwatch.StartNew();
        var chunk = new byte[256 * 1024];
        var writer = Task.Run(async () =>
        {
            for (var sent = 0; sent < Bytes; sent += chunk.Length)
            {
                await host.SendAsync(chunk, SocketFlags.None);
            }
        });
        await done.Task.WaitAsync(TimeSpan.FromMinutes(2));
        sw.Stop();
        await writer;
        await p.DisposeAsync();
        return Bytes * 8.0 / sw.Elapsed.TotalSeconds / 1e6;
    }
}
