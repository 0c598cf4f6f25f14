using System.Globalization;
using System.Net;
using Sandbox86.Guest;
using Sandbox86.Images.Store;
using Sandbox86.Machines;
using Sandbox86.Network;

namespace Sandbox86.Bench.Network;

/// <summary>
/// Guest network throughput, measured inside the guest with busybox wget/nc and the guest clock, side by
/// side in one run: sandbox86's stack against v86's own fetch backend on the same image. All traffic
/// goes to servers on 127.0.0.1 (the fetch backend is pointed at loopback through the Host header).
/// </summary>
internal static class GuestNetworkBench
{
    public static async Task RunAsync(int runs)
    {
        var image = ImageStore.Default.Open("default");
        const int blob = 20 * 1024 * 1024;
        await using var servers = new LoopbackServers(blob);
        Console.WriteLine($"machine: {Stats.Machine()}");
        Console.WriteLine($"payload: {blob / 1048576} MiB, {runs} runs each, timed in the guest");

        var ours = new List<double>();
        var upload = new List<double>();
        var connect = new List<double>();
        await using (var vm = await Machine.StartAsync(image, new MachineOptions(), CancellationToken.None))
        await using (var net = await MachineNetwork.AttachAsync(vm, new NetworkOptions { HostPorts = [servers.HttpPort, servers.SinkPort] }, CancellationToken.None))
        {
            for (var i = 0; i < runs; i++)
            {
                ours.Add(await TimedMibPerSecondAsync(vm, $"busybox wget -q -O /dev/null http://10.0.2.2:{servers.HttpPort}/blob", blob));
            }

            await vm.Agent.ExecAsync(ExecRequest.ForShell($"head -c {blob} /dev/zero > /tmp/up.bin"), CancellationToken.None);
            for (var i = 0; i < runs; i++)
            {
                upload.Add(await TimedMibPerSecondAsync(vm, $"busybox nc 10.0.2.2 {servers.SinkPort} < /tmp/up.bin", blob));
            }

            var probe = await vm.Agent.ExecAsync(ExecRequest.ForArgv("python3", "-c",
                "import socket,time,statistics\nts=[]\nfor i in range(30):\n s=socket.socket(); t=time.perf_counter(); s.connect(('10.0.2.2'," +
                servers.HttpPort.ToString(CultureInfo.InvariantCulture) + ")); ts.append((time.perf_counter()-t)*1000); s.close()\nprint('\\n'.join(str(x) for x in ts))"),
                CancellationToken.None);
            connect.AddRange(probe.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => double.Parse(l, CultureInfo.InvariantCulture)));
        }

        var fetch = new List<double>();
        await using (var vm = await Machine.StartAsync(image, new MachineOptions { RelayUrl = "fetch" }, CancellationToken.None))
        {
            // v86's fetch backend is its own router: 192.168.86.1, guest .100; it only serves TCP port 80,
            // turning each HTTP request into a fetch() of the Host header's URL.
            await vm.Agent.ConfigureNetworkAsync(new NetworkConfig
            {
                Address = IPAddress.Parse("192.168.86.100"),
                PrefixLength = 24,
                Gateway = IPAddress.Parse("192.168.86.1"),
                Dns = [IPAddress.Parse("192.168.86.1")],
            }, CancellationToken.None);
            for (var i = 0; i < runs; i++)
            {
                fetch.Add(await TimedMibPerSecondAsync(vm, $"busybox wget -q -O /dev/null --header 'Host: 127.0.0.1:{servers.HttpPort}' http://192.168.86.1/blob", blob));
            }
        }

        Console.WriteLine(Stats.Describe("download, sandbox86 stack (guest wget from host loopback)", ours, "MiB/s"));
        Console.WriteLine(Stats.Describe("download, v86 fetch backend (same image, same server)", fetch, "MiB/s"));
        Console.WriteLine($"ratio of medians: {Stats.Median(ours) / Stats.Median(fetch):0.0}x");
        Console.WriteLine(Stats.Describe("upload, sandbox86 stack (guest nc to host loopback sink)", upload, "MiB/s"));
        Console.WriteLine(Stats.Describe("TCP connect to a host port, from the guest", connect, "ms"));
    }

    private static async Task<double> TimedMibPerSecondAsync(Machine vm, string command, int bytes)
    {
        var result = await vm.Agent.ExecAsync(new ExecRequest
        {
            Shell = $"a=$(date +%s%N); {command}; rc=$?; b=$(date +%s%N); echo $rc $(( (b-a)/1000 ))",
            Timeout = TimeSpan.FromMinutes(5),
        }, CancellationToken.None);
        var parts = result.StdoutText.Trim().Split(' ');
        if (parts.Length != 2 || parts[0] != "0")
        {
            throw new InvalidOperationException($"'{command}' failed: {result.StdoutText} {result.StderrText}");
        }

        var seconds = long.Parse(parts[1], CultureInfo.InvariantCulture) / 1e6;
        return bytes / 1048576.0 / seconds;
    }
}
