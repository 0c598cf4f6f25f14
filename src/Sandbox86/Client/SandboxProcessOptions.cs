namespace Sandbox86.Client;

/// <summary>A command to start in a sandbox (envd's <c>process.Process/Start</c>).</summary>
public sealed record SandboxProcessOptions
{
    /// <summary>The program and its arguments, run directly (no shell), found on the guest's PATH.</summary>
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>Extra environment variables (over the sandbox's own).</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>Working directory; relative paths resolve against the user's home; the home when null.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>The guest user; the sandbox's default (<c>user</c>, or root when the image has no such account) when null.</summary>
    public string? User { get; init; }

    /// <summary>Keep stdin open for <see cref="SandboxProcess.WriteStdinAsync"/>; otherwise the command reads end of file.</summary>
    public bool Stdin { get; init; }

    /// <summary>Run in a terminal of this size (rows, columns); output then arrives as <see cref="SandboxOutputKind.Pty"/>.</summary>
    public (int Rows, int Columns)? Pty { get; init; }

    /// <summary>A tag to find the process by later.</summary>
    public string? Tag { get; init; }

    /// <summary>Kill the command after this long (envd's <c>Connect-Timeout-Ms</c>); no limit when null.</summary>
    public TimeSpan? Timeout { get; init; }
}
