using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Sandbox86.Util;

namespace Sandbox86.WebTests.Ui;

/// <summary>A real <c>sandbox86 serve</c> (the built CLI as a process) on a free loopback port, with a key and its own data directory.</summary>
internal sealed class ServeProcess : IAsyncDisposable
{
    public const string Key = "e2b_00112233445566778899aabbccddeeff00112233";

    private readonly Process _process;
    private readonly string _data;
    private readonly StringBuilder _log = new();

    private ServeProcess(Process process, string data, string url)
    {
        _process = process;
        _data = data;
        Url = url;
        Client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(3) };
        Client.DefaultRequestHeaders.Add("X-API-Key", Key);
    }

    public string Url { get; }

    public HttpClient Client { get; }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static async Task<ServeProcess> StartAsync()
    {
        var dll = Path.Combine(SandboxPaths.RepoRoot, "src", "Sandbox86.Cli", "bin", "Release", "net10.0", "Sandbox86.Cli.dll");
        Assert.True(File.Exists(dll), $"the CLI is not built at {dll} (dotnet build -c Release)");
        var data = Directory.CreateTempSubdirectory("sandbox86-ui-serve-").FullName;
        var port = FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { dll, "serve", "--listen", $"127.0.0.1:{port}", "--api-key", Key, "--data", data })
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["SANDBOX86_ROOT"] = SandboxPaths.RepoRoot;
        var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start sandbox86 serve");
        var serve = new ServeProcess(process, data, $"http://127.0.0.1:{port}");
        process.OutputDataReceived += (_, e) => serve.Append(e.Data);
        process.ErrorDataReceived += (_, e) => serve.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                Assert.Fail($"sandbox86 serve exited ({process.ExitCode}):\n{serve.Log}");
            }

            try
            {
                if ((await serve.Client.GetAsync("/ui/config")).IsSuccessStatusCode)
                {
                    return serve;
                }
            }
            catch (HttpRequestException)
            {
            }

            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"sandbox86 serve did not answer within 2 min:\n{serve.Log}");
            await Task.Delay(300);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            // Killed through the API first, so no worker outlives the server and nothing is paused into the data directory.
            foreach (var id in await ListAsync())
            {
                await Client.DeleteAsync($"/sandboxes/{id}");
            }
        }
        catch (HttpRequestException)
        {
        }

        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Client.Dispose();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<List<string>> ListAsync()
    {
        using var doc = System.Text.Json.JsonDocument.Parse(await Client.GetStringAsync("/v2/sandboxes?state=running,paused"));
        return [.. doc.RootElement.EnumerateArray().Select(e => e.GetProperty("sandboxID").GetString()!)];
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
