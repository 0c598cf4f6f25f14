using System.Diagnostics;
using Sandbox86.Util;
using Sandbox86.WebTests.Infrastructure;

namespace Sandbox86.WebTests.Web;

/// <summary>
/// The real <c>sandbox86 web default --net --host-port P</c> (the CLI's built dll as a process) on a free loopback
/// port, and one browser page on the URL it prints, at its shell prompt.
/// </summary>
internal sealed class WebCommandSession : IAsyncDisposable
{
    private readonly Process _process;

    private WebCommandSession(Process process, string url, SitePage page)
    {
        _process = process;
        Url = url;
        Page = page;
    }

    public static string CliDll => Path.Combine(SandboxPaths.RepoRoot, "src", "Sandbox86.Cli", "bin", "Release", "net10.0", "Sandbox86.Cli.dll");

    public string Url { get; }
    public SitePage Page { get; }

    public static async Task<WebCommandSession> StartAsync(params string[] arguments)
    {
        Assert.True(File.Exists(CliDll), $"the CLI is not built at {CliDll} (dotnet build -c Release)");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add(CliDll);
        psi.ArgumentList.Add("web");
        psi.ArgumentList.Add("default");
        psi.ArgumentList.Add("--listen");
        psi.ArgumentList.Add($"127.0.0.1:{StaticServer.FreePort()}");
        foreach (var a in arguments)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["SANDBOX86_ROOT"] = SandboxPaths.RepoRoot;
        var process = Process.Start(psi)!;
        var stderr = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var url = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            // The one line on stdout: "http://127.0.0.1:PORT/   (Ctrl+C stops)".
            if (e.Data is { } line && line.StartsWith("http://", StringComparison.Ordinal))
            {
                url.TrySetResult(line.Split(' ')[0]);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                stderr.Enqueue(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // Prepare restores the console snapshot and saves it again with the DHCP client running.
            var printed = await Task.WhenAny(url.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromMinutes(10)));
            Assert.True(printed == url.Task, $"sandbox86 web printed no URL (exited: {process.HasExited}); stderr:\n{string.Join('\n', stderr)}");
            var page = await SitePage.OpenAsync(await url.Task, TimeSpan.FromMinutes(2));
            return new WebCommandSession(process, await url.Task, page);
        }
        catch
        {
            Stop(process);
            process.Dispose();
            throw;
        }
    }

    // Ctrl+C (SIGINT) first: `web` then stops its server and deletes its temporary site.
    private static void Stop(Process process)
    {
        if (process.HasExited)
        {
            return;
        }

        using (var interrupt = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            interrupt.WaitForExit();
        }

        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Page.DisposeAsync();
        Stop(_process);
        _process.Dispose();
    }
}
