using System.Diagnostics;
using Sandbox86.Guest;

namespace Sandbox86.Tests.Guest;

/// <summary>A real agent process on the host (--stdio --no-system) driven by an AgentClient.</summary>
internal sealed class AgentHarness : IAsyncDisposable
{
    private readonly Process _process;

    private AgentHarness(Process process, AgentClient client, CreditShim? shim, System.Collections.Concurrent.ConcurrentQueue<string> agentLog)
    {
        AgentLog = agentLog;
        _process = process;
        Client = client;
        Shim = shim;
    }

    public AgentClient Client { get; }

    public CreditShim? Shim { get; }

    public Process Process => _process;

    public System.Collections.Concurrent.ConcurrentQueue<string> AgentLog { get; }

    public static async Task<AgentHarness> StartAsync(string agentPath, AgentClientOptions? options = null, bool shim = false, int? shimWindow = null)
    {
        var psi = new ProcessStartInfo(agentPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("--stdio");
        psi.ArgumentList.Add("--no-system");
        if (Environment.GetEnvironmentVariable("SANDBOX86_AGENT_DEBUG") is { } dbg)
        {
            psi.Environment["SANDBOX86_AGENT_DEBUG"] = dbg;
        }

        // The agent's stderr (frame log with SANDBOX86_AGENT_DEBUG=1) is kept for failure diagnostics.
        var process = Process.Start(psi)!;
        var harnessLog = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.ErrorDataReceived += (sender, e) =>
        {
            if (e.Data is not null)
            {
                harnessLog.Enqueue(e.Data);
                while (harnessLog.Count > 40)
                {
                    harnessLog.TryDequeue(out var dropped);
                }
            }
        };
        process.BeginErrorReadLine();
        Stream transport = new DuplexStream(process.StandardOutput.BaseStream, process.StandardInput.BaseStream);
        CreditShim? creditShim = null;
        if (shim)
        {
            creditShim = new CreditShim(transport, shimWindow);
            transport = creditShim;
        }

        var client = new AgentClient(transport, options);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.WaitReadyAsync(cts.Token);
        return new AgentHarness(process, client, creditShim, harnessLog);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        // Closing the channel makes the agent exit; never block a pool thread waiting for it.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }
}
