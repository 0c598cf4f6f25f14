using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Sandbox86.Bench.Serve;

/// <summary>A real <c>sandbox86 serve</c> process (the Release CLI build) on a free loopback port with its own data directory.</summary>
internal sealed class ServeProcess : IAsyncDisposable
{
    /// <summary>Without <c>--api-key</c> the server binds loopback only and accepts any key of E2B's shape.</summary>
    public const string Key = "e2b_0123456789abcdef0123456789abcdef01234567";

    private readonly Process _process;
    private readonly string _data;

    private ServeProcess(Process process, string url, string data)
    {
        _process = process;
        Url = url;
        _data = data;
    }

    public string Url { get; }

    public static async Task<ServeProcess> StartAsync()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var data = Directory.CreateTempSubdirectory("sandbox86-servebench-").FullName;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(Util.SandboxPaths.RepoRoot, "src", "Sandbox86.Cli", "bin", "Release", "net10.0", "Sandbox86.Cli.dll"));
        foreach (var a in new[] { "serve", "--listen", $"127.0.0.1:{port}", "--data", data, "--max-sandboxes", "6", "--memory-budget", "4096" })
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["SANDBOX86_ROOT"] = Util.SandboxPaths.RepoRoot;
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start sandbox86 serve");
        // Drain its output so a chatty server never blocks on a full pipe.
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        var server = new ServeProcess(process, $"http://127.0.0.1:{port}", data);
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var clock = Stopwatch.StartNew(); clock.Elapsed < TimeSpan.FromSeconds(60); await Task.Delay(200))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"sandbox86 serve exited {process.ExitCode}");
            }

            try
            {
                using var response = await probe.GetAsync(server.Url + "/health");
                return server;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
        }

        await server.DisposeAsync();
        throw new TimeoutException("sandbox86 serve did not listen within 60 s");
    }

    public double RssMiB() => Rss(_process.Id);

    /// <summary>RSS of each VM worker: the server's node children running worker.mjs.</summary>
    public List<double> WorkerRssMiB()
    {
        var result = new List<double>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var ppid = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
                if (ppid == _process.Id && File.ReadAllText(Path.Combine(dir, "cmdline")).Contains("worker.mjs", StringComparison.Ordinal))
                {
                    result.Add(Rss(pid));
                }
            }
            catch (IOException)
            {
                // Gone while read.
            }
        }

        return result;
    }

    private static double Rss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
    }

    public static async Task<(int Code, string Output)> RunToEndAsync(string file, string[] args, string directory, Dictionary<string, string> env)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env)
        {
            psi.Environment[k] = v;
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var output = await stdout;
        return (process.ExitCode, process.ExitCode == 0 ? output : output + await stderr);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM: the server pauses what still runs; the data directory is thrown away anyway.
            Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
