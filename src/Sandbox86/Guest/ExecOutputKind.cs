namespace Sandbox86.Guest;

/// <summary>Which stream a chunk of process output came from.</summary>
public enum ExecOutputKind
{
    /// <summary>Standard output (and everything, on a pty).</summary>
    Stdout,

    /// <summary>Standard error.</summary>
    Stderr,

    /// <summary>Marker: the output cap was reached; later output was discarded.</summary>
    Truncated,
}
