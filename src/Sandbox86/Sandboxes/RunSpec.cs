using Sandbox86.Guest;

namespace Sandbox86.Sandboxes;

/// <summary>
/// What to run in a sandbox, with <c>docker run</c>/<c>docker exec</c> meaning: the image's entrypoint and
/// default command, its environment and user and working directory, each overridable here.
/// <see cref="ContainerSemantics.ToExecRequest(Images.Store.StoredImage, RunSpec)"/> turns it into the agent's <see cref="ExecRequest"/>; the
/// CLI's <c>run</c>, the server and C# callers share that one translation.
/// </summary>
public sealed record RunSpec
{
    /// <summary>
    /// Arguments after the image's entrypoint; empty means the image's default command (OCI <c>Cmd</c>),
    /// as <c>docker run IMAGE</c> without arguments does.
    /// </summary>
    public IReadOnlyList<string> Command { get; init; } = [];

    /// <summary>Variables layered over the defaults and the image's <c>Env</c> (later wins).</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>Working directory in the guest; null means the image's <c>WorkingDir</c>, else the user's default.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>User name or uid[:gid]; null means the image's <c>User</c>, else root.</summary>
    public string? User { get; init; }

    /// <summary>Keep the command's stdin open for <see cref="ExecProcess.WriteStdinAsync"/>.</summary>
    public bool Stdin { get; init; }

    /// <summary>Give the command a terminal of this size (stdout and stderr then arrive merged).</summary>
    public PtySize? Pty { get; init; }

    /// <summary>Kill the command's whole process group after this long (<see cref="ExitCodes.TimedOut"/>).</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Truncate stdout+stderr beyond this many bytes, with a marker; null streams without a cap.</summary>
    public long? OutputCap { get; init; }

    /// <summary>Files or directory trees copied in before the command.</summary>
    public IReadOnlyList<FileCopy> CopyIn { get; init; } = [];

    /// <summary>Files or directory trees copied out after the command (each written atomically).</summary>
    public IReadOnlyList<FileCopy> CopyOut { get; init; } = [];
}
