using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Sandbox86.Bench.Pool;

/// <summary>A <c>sandbox86 serve</c> child process (the built CLI) on a free loopback port, for benches through the HTTP API.</summary>
internal sealed class ServeProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServeProcess(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    public string Url { get; }

    public static async Task<ServeProcess> StartAsync(IEnumerable<string> extraArguments)
    {
        var cli = FindCli();
        var port = FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { cli, "serve", "--listen", $"127.0.0.1:{port}", "--data", Directory.CreateTempSubdirectory("sandbox86-bench-serve-").FullName }.Concat(extraArguments))
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start dotnet");
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line && Environment.GetEnvironmentVariable("SANDBOX86_BENCH_VERBOSE") == "1")
            {
                Console.Error.WriteLine("  serve: " + line);
            }
        };
        process.BeginErrorReadLine();
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("export E2B_API_KEY=", StringComparison.Ordinal))
            {
                return new ServeProcess(process, $"http://127.0.0.1:{port}");
            }
        }

        throw new InvalidOperationException("sandbox86 serve exited before listening");
    }

    private static string FindCli()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var dll = Path.Combine(dir.FullName, "src", "Sandbox86.Cli", "bin", "Release", "net10.0", "Sandbox86.Cli.dll");
            if (File.Exists(dll))
            {
                return dll;
            }
        }

        throw new InvalidOperationException("build the CLI first: dotnet build src/Sandbox86.Cli -c Release");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM: serve pauses what still runs and exits.
            Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
            if (!await Task.Run(() => _process.WaitForExit(60_000)))
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }
}
