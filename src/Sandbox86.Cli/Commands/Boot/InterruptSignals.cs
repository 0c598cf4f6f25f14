using System.Runtime.InteropServices;

namespace Sandbox86.Cli.Commands.Boot;

/// <summary>
/// SIGINT (Ctrl+C) and SIGTERM for <c>boot</c>, in two phases: the first signal while the VM runs cancels
/// <see cref="Running"/>; any later one, or any once <see cref="BeginSave"/> was called, cancels the save.
/// System.CommandLine's own handler cannot do this: it gives an action two seconds after the first signal
/// and then ends the process with 130, and a boot snapshot takes longer than that to save.
/// </summary>
internal sealed class InterruptSignals : IDisposable
{
    private readonly CancellationTokenSource _running = new();
    private readonly CancellationTokenSource _saving = new();
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;
    private volatile bool _inSave;
    private int _signals;

    public InterruptSignals()
    {
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Cancelled by the first signal while the VM runs.</summary>
    public CancellationToken Running => _running.Token;

    /// <summary>Whether a signal asked the running VM to stop.</summary>
    public bool Interrupted => _running.IsCancellationRequested;

    /// <summary>Whether a signal aborted the save.</summary>
    public bool SaveAborted => _saving.IsCancellationRequested;

    /// <summary>From now on a signal aborts the save instead; returns the token it cancels.</summary>
    public CancellationToken BeginSave()
    {
        _inSave = true;
        return _saving.Token;
    }

    public void Dispose()
    {
        // Unregistered first, so no handler runs against a disposed source.
        _sigint.Dispose();
        _sigterm.Dispose();
        _running.Dispose();
        _saving.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        // The process stays alive: the command winds down (and saves) on its own.
        context.Cancel = true;
        // Counted, so a second signal aborts the save even if it comes before BeginSave is reached.
        var first = Interlocked.Increment(ref _signals) == 1;
        (first && !_inSave ? _running : _saving).Cancel();
    }
}
