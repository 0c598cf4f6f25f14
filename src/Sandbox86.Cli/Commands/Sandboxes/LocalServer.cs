using System.Diagnostics;
using System.Net;
using Sandbox86.Cli.Commands.Serve;
using Sandbox86.Util;

namespace Sandbox86.Cli.Commands.Sandboxes;

/// <summary>
/// The local default server (<c>127.0.0.1:49982</c>, data under <c>SANDBOX86_HOME/serve</c>): when nothing
/// answers there, the first verb starts <c>sandbox86 serve</c> detached (own session, log file, pid file)
/// under a lock so two verbs at once start one server, and waits for its <c>/health</c>.
/// </summary>
internal static class LocalServer
{
    /// <summary>Overrides the local address (host:port), e.g. for a second SANDBOX86_HOME next to the first.</summary>
    public const string ListenVariable = "SANDBOX86_LOCAL_LISTEN";

    /// <summary>Booting nothing, serve is up in about a second; a busy 2-core host can take several.</summary>
    private static readonly TimeSpan StartBudget = TimeSpan.FromSeconds(60);

    public static string Directory => Path.Combine(SandboxPaths.Home, "serve");

    public static string LogPath => Path.Combine(Directory, "serve.log");

    public static string PidPath => Path.Combine(Directory, "serve.pid");

    public static async Task<Uri> EnsureRunningAsync(CancellationToken cancellationToken)
    {
        var listen = Environment.GetEnvironmentVariable(ListenVariable) is { Length: > 0 } l ? l : ServeCommand.DefaultListen;
        if (!IPEndPoint.TryParse(listen, out var endpoint) || !IPAddress.IsLoopback(endpoint.Address) || endpoint.Port == 0)
        {
            throw new Output.UsageException($"{ListenVariable} must be a loopback IP:PORT, got '{listen}'");
        }

        var url = new Uri($"http://{endpoint}/");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        if (await IsHealthyAsync(http, url, cancellationToken))
        {
            return url;
        }

        System.IO.Directory.CreateDirectory(Directory);
        // flock through FileShare.None: held until this process ends, so a second verb waits here, then finds the server up.
        using var held = await LockAsync(Path.Combine(Directory, "autostart.lock"), cancellationToken);
        if (await IsHealthyAsync(http, url, cancellationToken))
        {
            return url;
        }

        var pid = Start(endpoint);
        Console.Error.WriteLine($"sandbox86: started a local server on {url.ToString().TrimEnd('/')} (pid {pid}, log {LogPath}); stop it with: kill {pid}");
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartBudget)
        {
            if (await IsHealthyAsync(http, url, cancellationToken))
            {
                return url;
            }

            if (!IsAlive(pid))
            {
                throw new ServerStartException($"the local server exited while starting; see {LogPath}: {LastLine()}");
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new ServerStartException($"the local server did not answer on {url} within {StartBudget.TotalSeconds:0} s; see {LogPath}");
    }

    /// <summary>envd's <c>/health</c> (routed by the sandbox header, answered without a sandbox): 204 from our server.</summary>
    internal static async Task<bool> IsHealthyAsync(HttpClient http, Uri url, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url, "/health"));
            request.Headers.Add("E2b-Sandbox-Id", "health");
            using var response = await http.SendAsync(request, cancellationToken);
            return response.StatusCode == HttpStatusCode.NoContent;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static int Start(IPEndPoint endpoint)
    {
        // setsid: its own session, so the verb's Ctrl+C or the end of its terminal does not stop the server.
        var psi = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("sh");
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("pid=$1 log=$2; shift 2; echo $$ > \"$pid\"; exec \"$@\" >> \"$log\" 2>&1 < /dev/null");
        psi.ArgumentList.Add("sandbox86-serve");
        psi.ArgumentList.Add(PidPath);
        psi.ArgumentList.Add(LogPath);
        foreach (var part in SelfCommand())
        {
            psi.ArgumentList.Add(part);
        }

        psi.ArgumentList.Add("serve");
        psi.ArgumentList.Add("--listen");
        psi.ArgumentList.Add(endpoint.ToString());
        File.Delete(PidPath);
        using var process = Process.Start(psi) ?? throw new ServerStartException("cannot start 'sandbox86 serve'");
        process.StandardInput.Close();
        // setsid forks when it is a process-group leader; the shell writes its own pid (= serve's, after exec).
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (File.Exists(PidPath) && int.TryParse(File.ReadAllText(PidPath).Trim(), out var pid))
            {
                return pid;
            }

            Thread.Sleep(20);
        }

        throw new ServerStartException($"'sandbox86 serve' did not start; see {LogPath}");
    }

    /// <summary>How to run this same CLI again: the dll under the dotnet host, or the app host itself.</summary>
    private static IEnumerable<string> SelfCommand()
    {
        var host = Environment.ProcessPath ?? "dotnet";
        var entry = Environment.GetCommandLineArgs()[0];
        return Path.GetFileNameWithoutExtension(host) == "dotnet" && entry.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? [host, entry]
            : [host];
    }

    private static async Task<FileStream> LockAsync(string path, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (clock.Elapsed < StartBudget)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string LastLine()
    {
        try
        {
            return File.ReadLines(LogPath).LastOrDefault(l => l.Trim().Length > 0) ?? "(empty log)";
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }
}
