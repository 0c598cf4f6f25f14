using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Sandbox86.WebTests.Infrastructure;

/// <summary>
/// <c>python3 -m http.server</c> on 127.0.0.1: the plainest static server there is (no special headers, no
/// knowledge of the site), serving a directory whose site sits in a sub-path.
/// </summary>
internal sealed class StaticServer : IAsyncDisposable
{
    private readonly Process _process;

    private StaticServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static async Task<StaticServer> StartAsync(string root)
    {
        var port = FreePort();
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
        var server = new StaticServer(process, port);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return server;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(20) && !process.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>A loopback TCP port free a moment ago.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
