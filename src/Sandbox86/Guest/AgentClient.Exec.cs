namespace Sandbox86.Guest;

/// <summary>Process execution.</summary>
public sealed partial class AgentClient
{
    /// <summary>Runs a command to completion, collecting stdout and stderr up to the output cap.</summary>
    /// <remarks>Cancelling kills the process group and throws <see cref="OperationCanceledException"/>.</remarks>
    public async Task<ExecResult> ExecAsync(ExecRequest request, CancellationToken cancellationToken = default)
    {
        var process = await StartCoreAsync(request, collect: true, cancellationToken).ConfigureAwait(false);
        try
        {
            return await process.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await KillQuietlyAsync(process).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Starts a command and returns once it runs (or has already ended, e.g. exit code 127 when
    /// the program does not exist). Read its output with <see cref="ExecProcess.ReadOutputAsync"/>.
    /// </summary>
    public Task<ExecProcess> StartAsync(ExecRequest request, CancellationToken cancellationToken = default) =>
        StartCoreAsync(request, collect: false, cancellationToken);

    private async Task<ExecProcess> StartCoreAsync(ExecRequest request, bool collect, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var cap = request.OutputCap ?? (collect ? _options.DefaultOutputCap : 0);
        var payload = request.Encode(cap, _options.OutputWindow);
        await EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        var stream = NextStream();
        var process = new ExecProcess(this, stream, collect, cap <= 0 ? long.MaxValue : cap, _options.OutputWindow);
        Register(stream, process);
        Send(AgentMessageType.Exec, stream, payload);
        try
        {
            await process.Started.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await KillQuietlyAsync(process).ConfigureAwait(false);
            throw;
        }
        catch (AgentException)
        {
            Unregister(stream);
            throw;
        }

        return process;
    }

    private static async Task KillQuietlyAsync(ExecProcess process)
    {
        try
        {
            await process.KillAsync().ConfigureAwait(false);
        }
        catch (AgentException)
        {
            // Channel already gone: nothing left to kill from here.
        }
    }
}
