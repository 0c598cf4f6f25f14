using System.Diagnostics;
using PuppeteerSharp;

namespace Sandbox86.WebTests.Infrastructure;

/// <summary>
/// One headless Chromium with one page on a prepared site, read and typed into through the page's own terminal
/// (<c>window.sandbox86.terminal</c>, xterm.js) as a user would.
/// </summary>
internal sealed class SitePage : IAsyncDisposable
{
    private const string ScreenScript = """
        () => {
            const t = window.sandbox86 && window.sandbox86.terminal;
            if (!t) { return null; }
            const b = t.buffer.active, lines = [];
            for (let i = 0; i < b.length; i++) { lines.push(b.getLine(i).translateToString(true)); }
            return lines.join("\n");
        }
        """;

    private readonly IBrowser _browser;

    private SitePage(IBrowser browser, IPage page)
    {
        _browser = browser;
        Page = page;
    }

    public IPage Page { get; }

    /// <summary>From navigation start to the first shell prompt on the page's terminal.</summary>
    public TimeSpan LoadToPrompt { get; private set; }

    /// <summary><see cref="BytesFetched"/> when the prompt appeared.</summary>
    public long BytesBeforePrompt { get; private set; }

    public static async Task<SitePage> OpenAsync(string url, TimeSpan promptTimeout)
    {
        var browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            Headless = true,
            ExecutablePath = Chromium.Path,
            // Root cannot use Chromium's sandbox; the page is our own, on loopback.
            Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        });
        try
        {
            var page = await browser.NewPageAsync();
            var site = new SitePage(browser, page);
            await page.SetViewportAsync(new ViewPortOptions { Width = 1000, Height = 640 });
            page.Response += (_, e) => site.Count(e.Response);
            page.Console += (_, e) => site._console.Enqueue($"{e.Message.Type}: {e.Message.Text}");
            page.PageError += (_, e) => site._console.Enqueue($"page error: {e.Message}");
            var clock = Stopwatch.StartNew();
            await page.GoToAsync(url, WaitUntilNavigation.Load);
            await site.WaitForAsync(IsPrompt, promptTimeout, "a shell prompt");
            site.LoadToPrompt = clock.Elapsed;
            site.BytesBeforePrompt = site.BytesFetched;
            return site;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    /// <summary>A root shell's prompt (<c>…# </c>) on the terminal's last non-empty line.</summary>
    public static bool IsPrompt(string screen) =>
        screen.Split('\n').LastOrDefault(l => l.Trim().Length > 0) is { } last && last.TrimEnd().EndsWith('#');

    public async Task<string> ScreenAsync() => await Page.EvaluateFunctionAsync<string?>(ScreenScript) ?? "";

    public async Task<string> WaitForAsync(Func<string, bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        var screen = "";
        while (clock.Elapsed < timeout)
        {
            screen = await ScreenAsync();
            if (condition(screen))
            {
                return screen;
            }

            await Task.Delay(200);
        }

        var status = await Page.EvaluateExpressionAsync<string?>("document.getElementById('status') && document.getElementById('status').textContent");
        throw new TimeoutException($"no {what} within {timeout.TotalSeconds:0}s; page status: {status}; terminal:\n{screen}");
    }

    /// <summary>Types a line into the terminal (keyboard events on xterm.js's input) and presses Enter.</summary>
    public async Task TypeLineAsync(string line)
    {
        await Page.FocusAsync(".xterm-helper-textarea");
        await Page.Keyboard.TypeAsync(line);
        await Page.Keyboard.PressAsync("Enter");
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _console = new();

    /// <summary>What the page logged to its console, and its uncaught errors, in order (for a failing test's output).</summary>
    public IReadOnlyCollection<string> ConsoleMessages => _console.ToArray();

    private long _bytesFetched;
    private int _responses;

    /// <summary>Body bytes the page fetched so far (Content-Length of every response: the page, scripts, state parts, chunks).</summary>
    public long BytesFetched => Interlocked.Read(ref _bytesFetched);

    /// <summary>Responses the page received so far.</summary>
    public int Responses => Volatile.Read(ref _responses);

    private void Count(IResponse response)
    {
        Interlocked.Increment(ref _responses);
        foreach (var (name, value) in response.Headers)
        {
            if (string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase) && long.TryParse(value, out var length))
            {
                Interlocked.Add(ref _bytesFetched, length);
            }
        }
    }

    public async Task ScreenshotAsync(string name)
    {
        await Page.ScreenshotAsync(ArtifactPath(name));
    }

    /// <summary>A file in the web tests' artifacts directory (created).</summary>
    public static string ArtifactPath(string name)
    {
        var directory = Path.Combine(ArtifactsDirectory(), "web");
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, name);
    }

    // test.sh's artifacts/ when run from a checkout, else the test's own output directory.
    private static string ArtifactsDirectory() =>
        Environment.GetEnvironmentVariable("SANDBOX86_ROOT") is { Length: > 0 } root ? Path.Combine(root, "artifacts") : Path.Combine(AppContext.BaseDirectory, "artifacts");

    public async ValueTask DisposeAsync()
    {
        await Page.CloseAsync();
        await _browser.DisposeAsync();
    }
}
