using Sandbox86.Client;

namespace Sandbox86.Cli.Commands.Sandboxes;

/// <summary>One attached exec: output to our stdout/stderr as it arrives, our stdin to the command, Ctrl+C to a signal.</summary>
internal static class ExecSession
{
    /// <summary>How long a command has to end after SIGTERM before it gets SIGKILL.</summary>
    private static readonly TimeSpan TermGrace = TimeSpan.FromSeconds(1);

    public static async Task<int> RunAsync(SandboxProcess process, bool pipeStdin, CancellationToken cancellationToken)
    {
        using var stdinStop = new CancellationTokenSource();
        var stdinPump = pipeStdin ? PumpStdinAsync(process, stdinStop.Token) : Task.CompletedTask;
        var stdout = Console.OpenStandardOutput();
        var stderr = Console.OpenStandardError();
        // Ctrl+C cancels the token; the output stream must stay open to see the command end, so it reads uncancelled.
        using var forward = cancellationToken.Register(() => _ = InterruptAsync(process));
        try
        {
            await foreach (var output in process.ReadOutputAsync(CancellationToken.None))
            {
                var target = output.Kind == SandboxOutputKind.Stderr ? stderr : stdout;
                await target.WriteAsync(output.Data, CancellationToken.None);
                await target.FlushAsync(CancellationToken.None);
            }
        }
        finally
        {
            await stdinStop.CancelAsync();
            // A read of our stdin cannot be cancelled once it blocks (a terminal with nothing typed): give the
            // pump a moment to finish and leave it otherwise; the process ends right after.
            _ = stdinPump.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
            await Task.WhenAny(stdinPump, Task.Delay(200, CancellationToken.None));
        }

        return cancellationToken.IsCancellationRequested ? 130 : process.Result!.ExitCode;
    }

    private static async Task InterruptAsync(SandboxProcess process)
    {
        try
        {
            await process.SignalAsync(SandboxSignal.Terminate, CancellationToken.None);
            await Task.Delay(TermGrace);
            if (process.Result is null)
            {
                await process.SignalAsync(SandboxSignal.Kill, CancellationToken.None);
            }
        }
        catch (SandboxApiException)
        {
            // Already gone.
        }
    }

    private static async Task PumpStdinAsync(SandboxProcess process, CancellationToken cancellationToken)
    {
        var stdin = Console.OpenStandardInput();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var n = await stdin.ReadAsync(buffer, cancellationToken);
            if (n == 0)
            {
                break;
            }

            await process.WriteStdinAsync(buffer.AsMemory(0, n), cancellationToken);
        }

        await process.CloseStdinAsync(cancellationToken);
    }
}
