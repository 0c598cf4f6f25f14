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
