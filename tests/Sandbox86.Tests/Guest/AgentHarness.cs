using System.Diagnostics;
using Sandbox86.Guest;

namespace Sandbox86.Tests.Guest;

/// <summary>A real agent process on the host (--stdio --no-system) driven by an AgentClient.</summary>
internal sealed class AgentHarness : IAsyncDisposable
{
    private readonly Process _process;

    private AgentHarness(Process process, AgentClient client, CreditShim? shim)
    {
        _process = process;
        Client = client;
        Shim = shim;
    }

    public AgentClient Client { get; }

    public CreditShim? Shim { get; }

    public Process Process => _process;

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
        var process = Process.Start(psi)!;
        process.ErrorDataReceived += (_, _) => { };
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
        return new AgentHarness(process, client, creditShim);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        try
        {
            if (!_process.WaitForExit(2000))
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }
}
