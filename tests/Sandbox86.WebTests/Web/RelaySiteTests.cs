using System.Net;
using System.Security.Cryptography;
using Sandbox86.Network;
using Sandbox86.Network.Relay;
using Sandbox86.Web;
using Sandbox86.WebTests.Infrastructure;
using Xunit.Abstractions;

namespace Sandbox86.WebTests.Web;

/// <summary>
/// The fixture of <see cref="RelaySiteTests"/>: <c>sandbox86 relay</c>'s listener (<see cref="WebSocketRelay"/>) on a
/// loopback port, a host loopback HTTP server with a random file the guest may reach (<c>--host-port</c>), and a site
/// prepared with <c>--relay-url</c> to that relay. Every frame the relay switches goes to <c>artifacts/web/relay-site.pcap</c>
/// (DHCP, ARP, the download), to see from a failed run how far the guest got.
/// </summary>
public sealed class RelaySiteFixture : SessionFixture, IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _relay;

    internal string Files { get; } = Path.Combine(Path.GetTempPath(), "sandbox86-web-files-" + Guid.NewGuid().ToString("N")[..8]);
    internal byte[] Blob { get; } = RandomNumberGenerator.GetBytes(256 * 1024);
    internal StaticServer? FileServer { get; private set; }

    internal override async Task<SiteSession> StartAsync()
    {
        Directory.CreateDirectory(Files);
        await File.WriteAllBytesAsync(Path.Combine(Files, "blob"), Blob);
        FileServer = await StaticServer.StartAsync(Files);
        var listening = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        _relay = WebSocketRelay.RunAsync(new RelayOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Network = new NetworkOptions { HostPorts = [FileServer.Port], PcapPath = SitePage.ArtifactPath("relay-site.pcap") },
            OnListening = listening.SetResult,
        }, _stop.Token);
        var endpoint = await listening.Task.WaitAsync(TimeSpan.FromSeconds(20));
        return await SiteSession.StartAsync(new WebSiteOptions { RelayUrl = $"ws://{endpoint}/", Title = "web test relay" });
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _stop.CancelAsync();
        if (_relay is not null)
        {
            try
            {
                await _relay;
            }
            catch (OperationCanceledException)
            {
            }
        }

        if (FileServer is not null)
        {
            await FileServer.DisposeAsync();
        }

        try
        {
            Directory.Delete(Files, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public void Dispose() => _stop.Dispose();
}

/// <summary>
/// A site prepared with <c>--relay-url</c> in headless Chromium: the page's NIC (v86's own WebSocket adapter)
/// connects to <c>sandbox86 relay</c>, the guest takes its DHCP lease from the relay and downloads a file from a
/// host loopback server through it.
/// </summary>
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
    public async Task The_page_guest_takes_a_lease_from_the_relay_and_downloads_a_host_file_through_it()
    {
        await Chromium.EnsureAsync();
        var session = await _fixture.GetAsync();
        _output.WriteLine($"load -> prompt {session.Page.LoadToPrompt.TotalSeconds:0.00}s, {session.Page.BytesBeforePrompt / 1048576.0:0.0} MiB fetched before it");
        try
        {
            await GuestDownload.AssertAsync(session.Page, _fixture.FileServer!.Port, _fixture.Blob, "relay-site.png");
        }
        finally
        {
            foreach (var line in session.Page.ConsoleMessages)
            {
                _output.WriteLine("page console: " + line);
            }
        }
    }
}
