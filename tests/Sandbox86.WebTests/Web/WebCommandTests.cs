using System.Security.Cryptography;
using Sandbox86.WebTests.Infrastructure;
using Xunit.Abstractions;

namespace Sandbox86.WebTests.Web;

/// <summary>The fixture of <see cref="WebCommandTests"/>: a host loopback file server and <c>sandbox86 web --net --host-port</c> to it.</summary>
public sealed class WebCommandFixture : IAsyncLifetime
{
    private readonly object _gate = new();
    private Task<WebCommandSession>? _session;

    internal string Files { get; } = Path.Combine(Path.GetTempPath(), "sandbox86-web-files-" + Guid.NewGuid().ToString("N")[..8]);
    internal byte[] Blob { get; } = RandomNumberGenerator.GetBytes(256 * 1024);
    internal StaticServer? FileServer { get; private set; }

    internal Task<WebCommandSession> GetAsync()
    {
        lock (_gate)
        {
            return _session ??= StartAsync();
        }
    }

    private async Task<WebCommandSession> StartAsync()
    {
        Directory.CreateDirectory(Files);
        await File.WriteAllBytesAsync(Path.Combine(Files, "blob"), Blob);
        FileServer = await StaticServer.StartAsync(Files);
        return await WebCommandSession.StartAsync("--net", "--host-port", FileServer.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--title", "web test command");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_session is not null && _session.IsCompletedSuccessfully)
        {
            await (await _session).DisposeAsync();
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
}

/// <summary>
/// <c>sandbox86 web</c> in headless Chromium: the page it serves restores, shows a prompt, and its guest reaches a
/// host loopback server through the relay <c>web</c> serves on the same port.
/// </summary>
public sealed class WebCommandTests : IClassFixture<WebCommandFixture>
{
    private readonly WebCommandFixture _fixture;
    private readonly ITestOutputHelper _output;

    public WebCommandTests(WebCommandFixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    [SkippableFact]
    public async Task The_served_page_restores_and_its_guest_downloads_a_host_file_through_the_same_port_relay()
    {
        await Chromium.EnsureAsync();
        var session = await _fixture.GetAsync();
        _output.WriteLine($"{session.Url}: load -> prompt {session.Page.LoadToPrompt.TotalSeconds:0.00}s, {session.Page.BytesBeforePrompt / 1048576.0:0.0} MiB fetched before it");
        Assert.Equal("web test command", await session.Page.Page.EvaluateExpressionAsync<string>("document.title"));
        try
        {
            await GuestDownload.AssertAsync(session.Page, _fixture.FileServer!.Port, _fixture.Blob, "web-command.png");
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
