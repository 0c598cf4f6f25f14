namespace Sandbox86.Client;

/// <summary>Which stream a chunk of output came from.</summary>
public enum SandboxOutputKind
{
    /// <summary>Standard output.</summary>
    Stdout,

    /// <summary>Standard error.</summary>
    Stderr,

    /// <summary>The terminal of a command started with a PTY (stdout and stderr merged).</summary>
    Pty,
}

/// <summary>One chunk of a command's output, in the order the guest wrote it.</summary>
/// <param name="Kind">The stream.</param>
/// <param name="Data">The bytes.</param>
public readonly record struct SandboxOutput(SandboxOutputKind Kind, ReadOnlyMemory<byte> Data);

/// <summary>How a command ended (envd's end event).</summary>
/// <param name="ExitCode">The exit status; for a command ended by a signal, 128 plus the signal number, as a shell reports it.</param>
/// <param name="Exited">False when a signal ended it.</param>
/// <param name="Status">envd's status text (<c>exit status 3</c>, <c>signal: killed</c>).</param>
/// <param name="Error">envd's error text (<c>deadline exceeded</c>), or null.</param>
public sealed record SandboxProcessResult(int ExitCode, bool Exited, string Status, string? Error);

/// <summary>Signals envd can send to a command's process group.</summary>
public enum SandboxSignal
{
    /// <summary>SIGTERM.</summary>
    Terminate = 15,

    /// <summary>SIGKILL.</summary>
    Kill = 9,
}
