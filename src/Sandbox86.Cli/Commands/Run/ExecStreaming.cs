using Sandbox86.Guest;

namespace Sandbox86.Cli.Commands.Run;

/// <summary>Runs one exec with its output streamed to our stdout/stderr as it arrives, and our stdin piped in.</summary>
internal static class ExecStreaming
{
    public static async Task<ExecResult> RunAsync(AgentClient agent, ExecRequest request, bool pipeStdin, bool tty, CancellationToken cancellationToken)
    {
        using var terminal = tty ? TerminalMode.EnterRaw() : null;
        var process = await agent.StartAsync(request, cancellationToken);
        Sandbox86.Util.PhaseTrace.Mark("command started");
        using var stdinCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var stdinPump = pipeStdin ? PumpStdinAsync(process, stdinCts.Token) : Task.CompletedTask;
        var stdout = Console.OpenStandardOutput();
        var stderr = Console.OpenStandardError();
        try
        {
            var first = true;
            await foreach (var output in process.ReadOutputAsync(cancellationToken))
            {
                if (first)
                {
                    Sandbox86.Util.PhaseTrace.Mark("first output");
                    first = false;
                }

                var target = output.Kind == ExecOutputKind.Stderr ? stderr : stdout;
                await target.WriteAsync(output.Data, cancellationToken);
                await target.FlushAsync(cancellationToken);
            }

            return await process.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: take the guest's process group down with us (best effort; the VM dies next anyway).
            try
            {
                await process.KillAsync(9, CancellationToken.None).WaitAsync(TimeSpan.FromMilliseconds(500), CancellationToken.None);
            }
            catch (Exception e) when (e is TimeoutException or AgentException)
            {
            }

            throw;
        }
        finally
        {
            await stdinCts.CancelAsync();
            try
            {
                await stdinPump;
            }
            catch (Exception e) when (e is OperationCanceledException or AgentException or IOException)
            {
                // The command may exit before reading all its input; that is not an error.
            }
        }
    }

    private static async Task PumpStdinAsync(ExecProcess process, CancellationToken cancellationToken)
    {
        var stdin = Console.OpenStandardInput();
        var buffer = new byte[16384];
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
