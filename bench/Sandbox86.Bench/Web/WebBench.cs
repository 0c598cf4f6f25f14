using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using PuppeteerSharp;
using Sandbox86.Images.Store;
using Sandbox86.Web;

namespace Sandbox86.Bench.Web;

/// <summary>
/// <c>sandbox86 prepare</c>'s site in headless Debian chromium, served from a sub-path by <c>python3 -m http.server</c>
/// on loopback: page load (navigation start) to the console shell's prompt on the page's terminal, in a fresh browser
/// context each run (an empty cache, as a first visit), the bytes fetched before the prompt, and the site's size.
/// </summary>
internal static class WebBench
{
    private const string ChromiumPath = "/usr/bin/chromium";

    // The terminal's last non-empty line, as the web tests read it (xterm.js's buffer).
    private const string LastLineScript = """
        () => {
            const t = window.sandbox86 && window.sandbox86.terminal;
            if (!t) { return ""; }
            const b = t.buffer.active;
            for (let i = b.length - 1; i >= 0; i--) { const l = b.getLine(i).translateToString(true).trim(); if (l) { return l; } }
            return "";
        }
        """;

    public static async Task<int> RunAsync(int runs)
    {
        if (!File.Exists(ChromiumPath))
        {
            Console.Error.WriteLine($"{ChromiumPath} is missing (apt-get install -y chromium)");
            return 2;
        }

        Console.WriteLine($"machine: {Stats.Machine()}; load average at start {Stats.LoadAverage()}");
        var root = Path.Combine(Path.GetTempPath(), "sandbox86-webbench-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var clock = Stopwatch.StartNew();
            var site = await WebSite.PrepareAsync(ImageStore.Default.Open("default"), Path.Combine(root, "some", "dir"), new WebSiteOptions(), CancellationToken.None);
            Console.WriteLine($"prepare: {clock.Elapsed.TotalSeconds:0.0} s; site {site.TotalBytes / 1048576.0:0.0} MiB in {site.Files} files " +
                $"(state {site.StateBytes / 1048576.0:0.0} MiB in {site.StateParts} parts); load average {Stats.LoadAverage()}");
            using var server = StartStaticServer(root, out var port);
            try
            {
                await MeasureAsync($"http://127.0.0.1:{port}/some/dir/", runs);
            }
            finally
            {
                server.Kill();
                await server.WaitForExitAsync();
            }
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        Console.WriteLine($"load average at the end {Stats.LoadAverage()}");
        return 0;
    }

    private static async Task MeasureAsync(string url, int runs)
    {
        await using var browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            Headless = true,
            ExecutablePath = ChromiumPath,
            Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        });
        var seconds = new List<double>();
        var mib = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            // A fresh context per run: nothing cached, as a first visit.
            await using var context = await browser.CreateBrowserContextAsync();
            var page = await context.NewPageAsync();
            long bytes = 0;
            page.Response += (_, e) =>
            {
                foreach (var (name, value) in e.Response.Headers)
                {
                    if (string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase) && long.TryParse(value, out var length))
                    {
                        Interlocked.Add(ref bytes, length);
                    }
                }
            };
            var clock = Stopwatch.StartNew();
            await page.GoToAsync(url, WaitUntilNavigation.Load);
            while (!(await page.EvaluateFunctionAsync<string>(LastLineScript)).EndsWith('#'))
            {
                if (clock.Elapsed > TimeSpan.FromMinutes(3))
                {
                    throw new TimeoutException($"run {i + 1}: no prompt within 3 minutes");
                }

                await Task.Delay(50);
            }

            seconds.Add(clock.Elapsed.TotalSeconds);
            mib.Add(Interlocked.Read(ref bytes) / 1048576.0);
            Console.WriteLine($"run {i + 1}: load -> prompt {seconds[^1]:0.00} s, {mib[^1]:0.0} MiB fetched; load average {Stats.LoadAverage()}");
            await page.CloseAsync();
        }

        Console.WriteLine(Stats.DescribeP95("page load -> prompt", seconds.Select(s => s * 1000).ToList(), "ms"));
        Console.WriteLine(Stats.Describe("bytes fetched before the prompt", mib, "MiB"));
    }

    private static Process StartStaticServer(string root, out int port)
    {
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var psi = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-m", "http.server", "--bind", "127.0.0.1", "--directory", root, port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        for (var clock = Stopwatch.StartNew(); ; Thread.Sleep(100))
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return process;
            }
            catch (SocketException) when (clock.Elapsed < TimeSpan.FromSeconds(20) && !process.HasExited)
            {
            }
        }
    }
}
