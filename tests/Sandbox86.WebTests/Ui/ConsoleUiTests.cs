using System.Diagnostics;
using System.Text;
using System.Text.Json;
using PuppeteerSharp;
using Sandbox86.WebTests.Infrastructure;
using Xunit.Abstractions;

namespace Sandbox86.WebTests.Ui;

/// <summary>
/// <c>sandbox86 serve</c>'s console at <c>/ui</c> in headless Chromium, against a real server with a key and a
/// sandbox created through the API: the page asks for the key, lists the sandbox, its terminal runs what is
/// typed, and its pause and resume buttons pause and resume it.
/// </summary>
public sealed class ConsoleUiTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private const string ScreenScript = """
        () => {
            const t = window.sandbox86ui && window.sandbox86ui.terminal;
            if (!t) { return ""; }
            const b = t.buffer.active, lines = [];
            for (let i = 0; i < b.length; i++) { lines.push(b.getLine(i).translateToString(true)); }
            return lines.join("\n");
        }
        """;

    [SkippableFact]
    public async Task The_console_lists_a_sandbox_runs_a_command_in_its_terminal_and_pauses_and_resumes_it()
    {
        await Chromium.EnsureAsync();
        await using var serve = await ServeProcess.StartAsync();
        var create = await serve.Client.PostAsync("/sandboxes", new StringContent("""{"templateID":"base","timeout":600,"metadata":{"sandbox86.name":"ui-test"}}""", Encoding.UTF8, "application/json"));
        var created = await create.Content.ReadAsStringAsync();
        Assert.True((int)create.StatusCode == 201, $"create: {(int)create.StatusCode} {created}\n{serve.Log}");
        var id = JsonDocument.Parse(created).RootElement.GetProperty("sandboxID").GetString()!;

        await using var browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            Headless = true,
            ExecutablePath = Chromium.Path,
            // Root cannot use Chromium's sandbox; the page is our own, on loopback.
            Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        });
        var page = await browser.NewPageAsync();
        await page.SetViewportAsync(new ViewPortOptions { Width = 1100, Height = 800 });
        var console = new StringBuilder();
        page.Console += (_, e) => console.AppendLine(e.Message.Text);
        await page.GoToAsync(serve.Url + "/ui/", WaitUntilNavigation.Load);

        // With keys the page asks for one before it lists anything.
        await page.WaitForSelectorAsync("#login:not([hidden])", new WaitForSelectorOptions { Timeout = 30_000 });
        Assert.Equal(0, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#sandboxes tbody tr').length"));
        await page.TypeAsync("#key", ServeProcess.Key);
        await page.ClickAsync("#login button[type=submit]");
        var row = $"#sandboxes tr[data-id='{id}']";
        await page.WaitForSelectorAsync(row, new WaitForSelectorOptions { Timeout = 30_000 });
        Assert.Equal("ui-test", await page.EvaluateExpressionAsync<string>($"document.querySelector(\"{row} td.name\").textContent"));
        Assert.Equal(ServeProcess.Key, await page.EvaluateExpressionAsync<string>("sessionStorage.getItem('sandbox86.apiKey')"));

        await page.ClickAsync($"{row} button.open");
        var clock = Stopwatch.StartNew();
        await WaitForScreenAsync(page, s => s.Split('\n').Any(l => l.TrimEnd().EndsWith('#')), "a root prompt", console, serve);
        output.WriteLine($"open -> prompt {clock.Elapsed.TotalSeconds:0.00}s");
        await TypeLineAsync(page, "echo $((6*7)) $(uname -m)");
        // The echoed command line holds "$((6*7))": only the shell's answer is the line "42 i686".
        await WaitForScreenAsync(page, s => s.Split('\n').Any(l => l.Trim() == "42 i686"), "the line 42 i686", console, serve);
        await ScreenshotAsync(page, "console-ui.png");

        // The CPU and memory columns come from the metrics endpoint once the sandbox has run a moment.
        await WaitForAsync(page, $"document.querySelector(\"{row} td.memory\").textContent.includes('/')", "memory figures", console, serve);

        await page.ClickAsync($"{row} button.pause");
        await WaitForAsync(page, $"document.querySelector(\"{row}\")?.dataset.state === 'paused'", "the row paused", console, serve);
        Assert.Equal("paused", await StateAsync(serve, id));
        await WaitForScreenAsync(page, s => s.Contains("[terminal closed", StringComparison.Ordinal), "the terminal closed by the pause", console, serve);

        await page.ClickAsync($"{row} button.resume");
        await WaitForAsync(page, $"document.querySelector(\"{row}\")?.dataset.state === 'running'", "the row running", console, serve);
        Assert.Equal("running", await StateAsync(serve, id));
        // The page reconnects the chosen sandbox's terminal once it runs again; the guest is the same one.
        await WaitForAsync(page, "window.sandbox86ui.socket !== null && window.sandbox86ui.socket.readyState === 1", "the terminal reconnected", console, serve);
        await Task.Delay(TimeSpan.FromSeconds(1));
        await TypeLineAsync(page, "echo back-$((40+2))");
        await WaitForScreenAsync(page, s => s.Contains("back-42", StringComparison.Ordinal), "output after the resume", console, serve);
        await ScreenshotAsync(page, "console-ui-resumed.png");
    }

    private static async Task<string> StateAsync(ServeProcess serve, string id)
    {
        using var doc = JsonDocument.Parse(await serve.Client.GetStringAsync($"/sandboxes/{id}"));
        return doc.RootElement.GetProperty("state").GetString()!;
    }

    private static async Task TypeLineAsync(IPage page, string line)
    {
        await page.FocusAsync(".xterm-helper-textarea");
        await page.Keyboard.TypeAsync(line);
        await page.Keyboard.PressAsync("Enter");
    }

    private static async Task WaitForScreenAsync(IPage page, Func<string, bool> condition, string what, StringBuilder console, ServeProcess serve)
    {
        var clock = Stopwatch.StartNew();
        var screen = "";
        while (clock.Elapsed < Patience)
        {
            screen = await page.EvaluateFunctionAsync<string>(ScreenScript) ?? "";
            if (condition(screen))
            {
                return;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"no {what} within {Patience.TotalSeconds:0}s; status: {await StatusAsync(page)}; terminal:\n{screen}\npage console:\n{console}\nserver log tail:\n{Tail(serve.Log)}");
    }

    private static async Task WaitForAsync(IPage page, string expression, string what, StringBuilder console, ServeProcess serve)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Patience)
        {
            if (await page.EvaluateExpressionAsync<bool>(expression))
            {
                return;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"no {what} within {Patience.TotalSeconds:0}s; status: {await StatusAsync(page)}; page console:\n{console}\nserver log tail:\n{Tail(serve.Log)}");
    }

    private static Task<string> StatusAsync(IPage page) => page.EvaluateExpressionAsync<string>("document.getElementById('status').textContent");

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        var root = Environment.GetEnvironmentVariable("SANDBOX86_ROOT");
        var directory = Path.Combine(root is { Length: > 0 } ? Path.Combine(root, "artifacts") : Path.Combine(AppContext.BaseDirectory, "artifacts"), "web");
        Directory.CreateDirectory(directory);
        await page.ScreenshotAsync(Path.Combine(directory, name));
    }

    private static string Tail(string s) => s.Length > 3000 ? s[^3000..] : s;
}
