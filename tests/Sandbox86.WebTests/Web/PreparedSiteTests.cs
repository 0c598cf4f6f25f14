using System.Text.Json;
using Sandbox86.Web;
using Sandbox86.WebTests.Infrastructure;
using Xunit.Abstractions;

namespace Sandbox86.WebTests.Web;

/// <summary>The fixture of <see cref="PreparedSiteTests"/>: a site without a network.</summary>
public sealed class PlainSiteFixture : SessionFixture
{
    internal override Task<SiteSession> StartAsync() => SiteSession.StartAsync(new WebSiteOptions { Title = "web test <site>" });
}

/// <summary>
/// <c>sandbox86 prepare</c>'s site in headless Chromium, served from a sub-path by <c>python3 -m http.server</c>:
/// it restores, its terminal shows the console shell's prompt and runs what is typed.
/// </summary>
public sealed class PreparedSiteTests : IClassFixture<PlainSiteFixture>
{
    private readonly PlainSiteFixture _fixture;
    private readonly ITestOutputHelper _output;

    public PreparedSiteTests(PlainSiteFixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    [SkippableFact]
    public async Task Typing_a_command_in_the_page_terminal_shows_its_output()
    {
        await Chromium.EnsureAsync();
        var session = await _fixture.GetAsync();
        _output.WriteLine($"prepare {session.PrepareTime.TotalSeconds:0.0}s; site {session.Site.TotalBytes / 1048576.0:0.0} MiB in {session.Site.Files} files; " +
            $"load -> prompt {session.Page.LoadToPrompt.TotalSeconds:0.00}s, {session.Page.BytesBeforePrompt / 1048576.0:0.0} MiB fetched before it");

        await session.Page.TypeLineAsync("echo $((6*7))");
        // The echoed command line holds "$((6*7))", never "42" alone: only the shell's answer is a line "42".
        var screen = await session.Page.WaitForAsync(s => s.Split('\n').Any(l => l.Trim() == "42"), TimeSpan.FromSeconds(30), "line 42");
        Assert.Contains("echo $((6*7))", screen, StringComparison.Ordinal);
        await session.Page.ScreenshotAsync("prepared-site.png");

        // It is the guest that answered: the console shell is root's login shell on ttyS0 of an i686 kernel.
        await session.Page.TypeLineAsync("echo \"tty=$(tty) arch=$(uname -m)\"");
        await session.Page.WaitForAsync(s => s.Contains("tty=/dev/ttyS0 arch=i686", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "tty and arch");
    }

    [SkippableFact]
    public async Task The_page_exposes_the_emulator_and_terminal_and_the_site_keeps_the_state_in_parts_of_at_most_10_MB()
    {
        await Chromium.EnsureAsync();
        var session = await _fixture.GetAsync();
        Assert.True(await session.Page.Page.EvaluateExpressionAsync<bool>(
            "typeof window.sandbox86.emulator.serial_send_bytes === 'function' && typeof window.sandbox86.terminal.onData === 'function' && window.sandbox86.emulator.is_running()"));
        Assert.Equal("web test <site>", await session.Page.Page.EvaluateExpressionAsync<string>("document.title"));

        var dir = session.Site.Directory;
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "site.json")));
        var parts = manifest.RootElement.GetProperty("state").GetProperty("parts").EnumerateArray().ToList();
        Assert.Equal(session.Site.StateParts, parts.Count);
        Assert.True(parts.Count >= 2, $"a {session.Site.StateBytes} byte state should need several parts");
        foreach (var part in parts)
        {
            var file = new FileInfo(Path.Combine(dir, part.GetProperty("url").GetString()!));
            Assert.True(file.Length <= WebSiteOptions.MaxStatePartBytes && file.Length == part.GetProperty("bytes").GetInt64(), $"{file.Name}: {file.Length} bytes");
        }

        // The state is v86's own, zstd-compressed: the page hands it to v86 as it is.
        var first = File.ReadAllBytes(Path.Combine(dir, parts[0].GetProperty("url").GetString()!)).AsSpan(0, 4).ToArray();
        Assert.Equal(new byte[] { 0x28, 0xB5, 0x2F, 0xFD }, first);
        // Nothing comes from elsewhere: the page references only relative URLs.
        var html = File.ReadAllText(Path.Combine(dir, "index.html"));
        Assert.DoesNotContain("://", html, StringComparison.Ordinal);
        Assert.Contains("&lt;site&gt;", html, StringComparison.Ordinal);
    }
}
