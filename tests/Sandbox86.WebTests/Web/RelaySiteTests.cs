using System.Net;
using System.Text;
using Sandbox86.IntegrationTests.Infrastructure;
using Sandbox86.Network;
using Sandbox86.Network.Relay;
using Sandbox86.Web;
using Sandbox86.WebTests.Infrastructure;
using Xunit.Abstractions;

namespace Sandbox86.WebTests.Web;

/// <summary>
/// The fixture of <see cref="RelaySiteTests"/>: <c>sandbox86 relay</c>'s relay (in process, on loopback, default
/// Origin rules) whose network lets the guest reach one host loopback port, where a test server waits; and a site
/// prepared with <c>--relay-url</c> pointing at it.
/// </summary>
public sealed class RelaySiteFixture : SessionFixture, IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _relay;

    internal byte[] Body { get; } = Encoding.ASCII.GetBytes("downloaded-through-the-relay-" + Guid.NewGuid().ToString("N")[..12] + "\n");

    internal TestHttpServer? Http { get; private set; }

    internal override async Task<SiteSession> StartAsync()
    {
        Http = new TestHttpServer(Body);
        var listening = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        _relay = WebSocketRelay.RunAsync(new RelayOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Network = new NetworkOptions { HostPorts = [Http.Port] },
            OnListening = ep => listening.TrySetResult(ep),
        }, _stop.Token);
        var relay = await listening.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return await SiteSession.StartAsync(new WebSiteOptions { RelayUrl = $"ws://127.0.0.1:{relay.Port}/" });
    }

    /// <inheritdoc/>
    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _stop.CancelAsync();
        if (_relay is not null)
        {
            await _relay;
        }

        if (Http is not null)
        {
            await Http.DisposeAsync();
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _stop.Dispose();
}

/// <summary>A page prepared with <c>--relay-url</c>: its NIC reaches the relay, the guest takes a DHCP lease and downloads from the host.</summary>
public sealed class RelaySiteTests : IClassFixture<RelaySiteFixture>
{
    private readonly RelaySiteFixture _fixture;
    private readonly ITestOutputHelper _output;

    public RelaySiteTests(RelaySiteFixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    [SkippableFact]
    public async Task The_guest_gets_a_dhcp_lease_from_the_relay_and_downloads_a_file_from_a_host_loopback_server()
    {
        await Chromium.EnsureAsync();
        var session = await _fixture.GetAsync();
        _output.WriteLine($"prepare {session.PrepareTime.TotalSeconds:0.0}s; load -> prompt {session.Page.LoadToPrompt.TotalSeconds:0.00}s");

        // 10.0.2.15 is the relay's first DHCP address (NetworkOptions.FirstGuest); 10.0.2.2 its gateway, which
        // forwards the allowed host port to 127.0.0.1.
        await session.Page.TypeLineAsync("for i in $(seq 60); do busybox ip -4 addr | grep -q 10.0.2.15 && break; sleep 0.5; done");
        await session.Page.TypeLineAsync("busybox ip -4 addr show eth0 | grep -o 'inet [0-9./]*'");
        await session.Page.TypeLineAsync($"busybox wget -q -O - http://10.0.2.2:{_fixture.Http!.Port}/file");
        var body = Encoding.ASCII.GetString(_fixture.Body).Trim();
        var screen = await session.Page.WaitForAsync(s => s.Split('\n').Any(l => l.Trim() == body), TimeSpan.FromSeconds(60), "the downloaded body");
        Assert.Contains(screen.Split('\n'), l => l.Trim() == "inet 10.0.2.15/24");
        await session.Page.ScreenshotAsync("relay-site.png");
    }
}
