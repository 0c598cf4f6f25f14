using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Sandbox86.ServerTests.Verbs;

/// <summary>Without SANDBOX86_URL the verbs start the local server themselves, once, and say so.</summary>
public sealed class AutoStartTests
{
    [Fact]
    public async Task Two_verbs_at_once_start_one_local_server_that_answers_and_stops()
    {
        var home = Directory.CreateTempSubdirectory("sandbox86-autostart-").FullName;
        var port = FreePort();
        var environment = new Dictionary<string, string?>
        {
            ["SANDBOX86_URL"] = null,
            ["SANDBOX86_API_KEY"] = null,
            ["SANDBOX86_HOME"] = home,
            ["SANDBOX86_LOCAL_LISTEN"] = $"127.0.0.1:{port}",
        };
        var pidFile = Path.Combine(home, "serve", "serve.pid");
        try
        {
            var both = await Task.WhenAll(
                VerbCli.RunAsync(["ps"], environment, timeout: TimeSpan.FromMinutes(3)),
                VerbCli.RunAsync(["ps", "--json"], environment, timeout: TimeSpan.FromMinutes(3)));
            Assert.All(both, r => Assert.True(r.ExitCode == 0, r.Stderr));
            Assert.Single(both, r => r.Stderr.Contains("started a local server", StringComparison.Ordinal));
            Assert.Equal("[]", both[1].Stdout.Trim());

            var log = await File.ReadAllTextAsync(Path.Combine(home, "serve", "serve.log"));
            Assert.Single(log.Split('\n'), l => l.StartsWith("sandbox86 serve: listening on", StringComparison.Ordinal));
            using var http = new HttpClient();
            using var health = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/health");
            health.Headers.Add("E2b-Sandbox-Id", "health");
            Assert.Equal(HttpStatusCode.NoContent, (await http.SendAsync(health)).StatusCode);

            // A later verb finds it running and starts nothing.
            var later = await VerbCli.RunAsync(["ps"], environment);
            Assert.Equal(0, later.ExitCode);
            Assert.DoesNotContain("started", later.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            await StopAsync(pidFile);
            Directory.Delete(home, recursive: true);
        }
    }

    private static async Task StopAsync(string pidFile)
    {
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
        {
            return;
        }

        try
        {
            using var server = Process.GetProcessById(pid);
            // SIGTERM: serve pauses its (no) sandboxes and exits.
            Process.Start("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await server.WaitForExitAsync(cts.Token);
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
