using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;
using Sandbox86.Guest;
using Sandbox86.IntegrationTests.Infrastructure;
using Sandbox86.Machines;
using Sandbox86.Network;

namespace Sandbox86.IntegrationTests.Network;

/// <summary>
/// Real guests on sandbox86's own network stack. Every connection goes to 127.0.0.1 on this host or
/// to another guest; destinations the policy denies are refused inside the stack, never dialled.
/// </summary>
public sealed class GuestNetworkTests
{
    [Fact]
    public async Task Python_in_the_guest_downloads_20_MB_from_a_host_loopback_server_through_an_allowed_host_port()
    {
        var body = RandomNumberGenerator.GetBytes(20 * 1024 * 1024);
        await using var server = new TestHttpServer(body);
        var result = await CliRunner.RunAsync([
            "run", "--net", "--host-port", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--timeout", "240", "--",
            "python3", "-c",
            $"import urllib.request,hashlib; h=hashlib.sha256(); r=urllib.request.urlopen('http://10.0.2.2:{server.Port}/blob')\n" +
            "while True:\n  b=r.read(65536)\n  if not b: break\n  h.update(b)\nprint(h.hexdigest())",
        ], timeout: TimeSpan.FromMinutes(5));
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(body)), result.Stdout.Trim());
    }

    [Fact]
    public async Task A_guest_http_server_is_reached_from_the_host_through_a_port_forward()
    {
        var hostPort = FreeTcpPort();
        await using var vm = await Machine.StartAsync(DefaultImage.Open(), new MachineOptions(), CancellationToken.None);
        await using var net = await MachineNetwork.AttachAsync(vm, new NetworkOptions
        {
            Forwards = [new PortForward(TransportProtocol.Tcp, hostPort, 8000)],
        }, CancellationToken.None);
        await vm.Agent.ExecAsync(ExecRequest.ForShell("mkdir -p /srv && echo served-from-the-guest > /srv/index.txt"), CancellationToken.None);
        var server = await vm.Agent.StartAsync(new ExecRequest { Shell = "cd /srv && exec python3 -m http.server 8000" }, CancellationToken.None);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        string? body = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (body is null && DateTime.UtcNow < deadline)
        {
            try
            {
                body = await http.GetStringAsync($"http://127.0.0.1:{hostPort}/index.txt");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                await Task.Delay(500);
            }
        }

        Assert.Equal("served-from-the-guest\n", body);
    }

    [Fact]
    public async Task A_test_dns_servers_name_resolves_in_the_guest_the_gateway_answers_ping_and_dhcp_leases_the_pinned_address()
    {
        await using var dns = new TestDnsServer(new Dictionary<string, IPAddress> { ["sandbox86.test"] = IPAddress.Parse("203.0.113.7") });
        await using var vm = await Machine.StartAsync(DefaultImage.Open(), new MachineOptions(), CancellationToken.None);
        await using var net = await MachineNetwork.AttachAsync(vm, new NetworkOptions { UpstreamDns = dns.Endpoint }, CancellationToken.None);

        var resolved = await vm.Agent.ExecAsync(ExecRequest.ForArgv("python3", "-c", "import socket; print(socket.gethostbyname('sandbox86.test'))"), CancellationToken.None);
        Assert.True(resolved.ExitCode == 0, resolved.StderrText);
        Assert.Equal("203.0.113.7", resolved.StdoutText.Trim());
        Assert.True(dns.Queries > 0);

        var ping = await vm.Agent.ExecAsync(ExecRequest.ForArgv("busybox", "ping", "-c", "1", "-W", "5", "10.0.2.2"), CancellationToken.None);
        Assert.True(ping.ExitCode == 0, ping.StdoutText + ping.StderrText);
        Assert.Contains("1 packets received", ping.StdoutText, StringComparison.Ordinal);

        // DHCP works as well as the static configuration: the lease is the guest's pinned address.
        var dhcp = await vm.Agent.ExecAsync(new ExecRequest
        {
            Argv = ["busybox", "udhcpc", "-i", "eth0", "-n", "-q", "-f", "-s", "/bin/true"],
            Timeout = TimeSpan.FromSeconds(30),
        }, CancellationToken.None);
        Assert.True(dhcp.ExitCode == 0, dhcp.StdoutText + dhcp.StderrText);
        Assert.Contains("10.0.2.15", dhcp.StdoutText + dhcp.StderrText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Denied_destinations_fail_fast_with_connection_refused()
    {
        await using var vm = await Machine.StartAsync(DefaultImage.Open(), new MachineOptions(), CancellationToken.None);
        await using var net = await MachineNetwork.AttachAsync(vm, new NetworkOptions(), CancellationToken.None);
        // A host port nobody allowed, and a private address the default policy denies (refused in the stack, never dialled).
        const string script = """
            import socket, time
            for host, port in (("10.0.2.2", 9), ("192.168.77.1", 80)):
                s = socket.socket(); s.settimeout(10); t = time.time()
                try:
                    s.connect((host, port)); print("connected", host)
                except ConnectionRefusedError:
                    print("refused", host, round(time.time() - t, 2))
            """;
        var result = await vm.Agent.ExecAsync(ExecRequest.ForArgv("python3", "-c", script), CancellationToken.None);
        var lines = result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        foreach (var line in lines)
        {
            var parts = line.Split(' ');
            Assert.Equal("refused", parts[0]);
            Assert.True(double.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture) < 2, line);
        }

        Assert.True(net.Network.Counters.Drops.GetValueOrDefault(DropReason.PolicyDenied) >= 2, "both denials are counted");
    }

    [Fact]
    public async Task Two_vms_on_one_shared_network_reach_each_other_by_ip()
    {
        var image = DefaultImage.Open();
        await using var network = new VirtualNetwork(new NetworkOptions());
        await using var first = await Machine.StartAsync(image, new MachineOptions(), CancellationToken.None);
        await using var second = await Machine.StartAsync(image, new MachineOptions(), CancellationToken.None);
        // Both are clones of one snapshot, so each gets its own MAC as well as its own address.
        await using var a = await MachineNetwork.AttachSharedAsync(first, network, "a", IPAddress.Parse("10.0.2.15"), PhysicalAddress.Parse("52-54-00-12-34-15"), CancellationToken.None);
        await using var b = await MachineNetwork.AttachSharedAsync(second, network, "b", IPAddress.Parse("10.0.2.16"), PhysicalAddress.Parse("52-54-00-12-34-16"), CancellationToken.None);

        var listener = await first.Agent.StartAsync(new ExecRequest { Shell = "busybox nc -l -p 7000 > /tmp/received" }, CancellationToken.None);
        await Task.Delay(1000);
        var send = await second.Agent.ExecAsync(new ExecRequest { Shell = "echo hello-neighbour | busybox nc -w 5 10.0.2.15 7000", Timeout = TimeSpan.FromSeconds(30) }, CancellationToken.None);
        Assert.True(send.ExitCode == 0, send.StderrText);
        var received = await listener.WaitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, received.ExitCode);
        var content = await first.Agent.ExecAsync(ExecRequest.ForArgv("cat", "/tmp/received"), CancellationToken.None);
        Assert.Equal("hello-neighbour\n", content.StdoutText);
    }

    private static int FreeTcpPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
