using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Sandbox86.Guest;
using Sandbox86.IntegrationTests.Infrastructure;
using Sandbox86.Machines;
using Sandbox86.Network;

namespace Sandbox86.IntegrationTests.Machines;

/// <summary>
/// One restored VM with a 2 s idle period, its own network with a forward to a guest HTTP server that runs
/// detached from the agent (a running command would keep the machine awake), and the watchdog on (its
/// pings must not count as use).
/// </summary>
public sealed class IdleSuspendFixture : IAsyncLifetime
{
    public static readonly TimeSpan IdlePeriod = TimeSpan.FromSeconds(2);

    public Machine Vm { get; private set; } = null!;
    public MachineNetwork Net { get; private set; } = null!;
    public int HostPort { get; private set; }

    public async Task InitializeAsync()
    {
        HostPort = FreeTcpPort();
        // The boot timeout only matters when the home has no boot snapshot yet (then this fixture makes it, by a cold boot).
        Vm = await Machine.StartAsync(DefaultImage.Open(), new MachineOptions { IdleSuspendAfter = IdlePeriod, BootTimeout = TimeSpan.FromMinutes(5) }, CancellationToken.None);
        Net = await MachineNetwork.AttachAsync(Vm, new NetworkOptions
        {
            Forwards = [new PortForward(TransportProtocol.Tcp, HostPort, 8000)],
        }, CancellationToken.None);
        var started = await Vm.Agent.ExecAsync(ExecRequest.ForShell(
            "mkdir -p /srv && echo served-while-idle > /srv/index.txt && cd /srv && " +
            "setsid python3 -m http.server 8000 >/dev/null 2>&1 </dev/null & p=$!; " +
            // The agent kills the command's process group when it ends: wait until the server has left it.
            "while [ \"$(cut -d' ' -f6 /proc/$p/stat)\" != \"$p\" ]; do :; done; " +
            "for i in $(seq 100); do busybox wget -q -O /dev/null http://127.0.0.1:8000/index.txt && exit 0; sleep 0.2; done; exit 1"), CancellationToken.None);
        Assert.True(started.ExitCode == 0, "the guest HTTP server did not start: " + started.StderrText);
    }

    public async Task DisposeAsync()
    {
        await Net.DisposeAsync();
        await Vm.DisposeAsync();
    }

    private static int FreeTcpPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}

/// <summary>
/// Idle auto-suspend (issue 9, item 3's fallback): an idle machine stops its emulator, and the next exec or
/// inbound forwarded connection wakes it transparently; a running command or an open forwarded connection
/// keeps it awake. Behaviour, not speed: every wait is generous, and the CPU bound is far above ~0.
/// </summary>
public sealed class IdleSuspendTests(IdleSuspendFixture fixture) : IClassFixture<IdleSuspendFixture>
{
    private static readonly TimeSpan SuspendWithin = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task An_idle_machine_suspends_and_an_exec_wakes_it_with_its_clock_resynced()
    {
        await WaitUntilSuspendedAsync();
        var wakes = fixture.Vm.IdleSuspensions.Wakes;

        var result = await fixture.Vm.Agent.ExecAsync(ExecRequest.ForShell("echo woken; date +%s"), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(60));
        var host = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        Assert.Equal(0, result.ExitCode);
        var lines = result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("woken", lines[0]);
        Assert.True(fixture.Vm.IdleSuspensions.Wakes > wakes, "the exec did not go through a wake");
        // The guest's clock stood still while suspended; the resume resets it before the exec runs.
        var guest = long.Parse(lines[1], CultureInfo.InvariantCulture);
        Assert.True(Math.Abs(host - guest) <= 5, $"guest clock {guest}, host {host}");
    }

    [Fact]
    public async Task A_suspended_idle_worker_runs_no_guest_instruction_and_uses_almost_no_cpu()
    {
        await WaitUntilSuspendedAsync();
        var worker = (Sandbox86.Machines.Worker.WorkerProcess)fixture.Vm.WorkerConnection;
        // The stats request goes to the worker, not the guest: it does not wake the machine.
        var before = (await worker.GetStatsAsync(CancellationToken.None)).Instructions;
        using var process = Process.GetProcessById(fixture.Vm.WorkerProcessId);
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(5));
        process.Refresh();
        var share = (process.TotalProcessorTime - cpu).TotalSeconds / clock.Elapsed.TotalSeconds;
        var after = (await worker.GetStatsAsync(CancellationToken.None)).Instructions;

        Assert.True(fixture.Vm.IsIdleSuspended, "the machine woke during the measurement");
        Assert.Equal(before, after);
        // A running idle worker costs 1-5% (up to ~10% at load 45, IdleCostTests); a stopped one ~0.
        Assert.True(share < 0.05, $"the suspended worker used {share:P1} of a core");
    }

    [Fact]
    public async Task An_inbound_forwarded_connection_wakes_a_suspended_machine()
    {
        await WaitUntilSuspendedAsync();
        var wakes = fixture.Vm.IdleSuspensions.Wakes;

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var body = await http.GetStringAsync($"http://127.0.0.1:{fixture.HostPort}/index.txt");

        Assert.Equal("served-while-idle\n", body);
        Assert.True(fixture.Vm.IdleSuspensions.Wakes > wakes, "the connection did not go through a wake");
    }

    [Fact]
    public async Task A_running_command_keeps_the_machine_awake()
    {
        await WakeAsync();
        var suspensions = fixture.Vm.IdleSuspensions.Suspensions;
        var command = await fixture.Vm.Agent.StartAsync(ExecRequest.ForArgv("sleep", "8"), CancellationToken.None);

        var suspendedMeanwhile = await SuspendedDuringAsync(TimeSpan.FromSeconds(6));
        var result = await command.WaitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.False(suspendedMeanwhile, "the machine was suspended while a command ran");
        Assert.Equal(suspensions, fixture.Vm.IdleSuspensions.Suspensions);
        Assert.Equal(0, result.ExitCode);
        // Once it has ended, the machine does go idle (the premise of the check above).
        await WaitUntilSuspendedAsync();
    }

    [Fact]
    public async Task An_open_forwarded_connection_keeps_the_machine_awake()
    {
        await WaitUntilSuspendedAsync();
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, fixture.HostPort);
        var stream = client.GetStream();
        // Wait for the connection to reach the guest (it woke the machine), then send nothing for a while.
        var deadline = Stopwatch.StartNew();
        while (fixture.Net.Network.Counters.ActiveTcpFlows == 0 && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100);
        }

        Assert.True(fixture.Net.Network.Counters.ActiveTcpFlows > 0,
            $"the forwarded connection never reached the guest; drops: {string.Join(", ", fixture.Net.Network.Counters.Drops)}");
        var suspensions = fixture.Vm.IdleSuspensions.Suspensions;
        var suspendedMeanwhile = await SuspendedDuringAsync(TimeSpan.FromSeconds(6));
        var request = Encoding.ASCII.GetBytes("GET /index.txt HTTP/1.0\r\nHost: guest\r\n\r\n");
        await stream.WriteAsync(request);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var response = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.False(suspendedMeanwhile, "the machine was suspended while a forwarded connection was open");
        Assert.Equal(suspensions, fixture.Vm.IdleSuspensions.Suspensions);
        Assert.Contains("served-while-idle", response, StringComparison.Ordinal);
    }

    private async Task WaitUntilSuspendedAsync()
    {
        var clock = Stopwatch.StartNew();
        while (!fixture.Vm.IsIdleSuspended)
        {
            Assert.True(clock.Elapsed < SuspendWithin,
                $"the machine was not suspended within {SuspendWithin.TotalSeconds:0} s of an idle period of {IdleSuspendFixture.IdlePeriod.TotalSeconds:0} s; TCP flows: {fixture.Net.Network.Counters.ActiveTcpFlows}");
            await Task.Delay(100);
        }
    }

    private async Task WakeAsync()
    {
        var ping = await fixture.Vm.Agent.ExecAsync(ExecRequest.ForArgv("/bin/true"), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, ping.ExitCode);
    }

    private async Task<bool> SuspendedDuringAsync(TimeSpan window)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < window)
        {
            if (fixture.Vm.IsIdleSuspended)
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }
}
