namespace Sandbox86.Guest;

/// <summary>A command to run in the guest. Set exactly one of <see cref="Argv"/> and <see cref="Shell"/>.</summary>
public sealed record ExecRequest
{
    /// <summary>Program and arguments; the program is looked up in PATH.</summary>
    public IReadOnlyList<string>? Argv { get; init; }

    /// <summary>A script for <c>/bin/sh -c</c>.</summary>
    public string? Shell { get; init; }

    /// <summary>Environment variables added to (or, with <see cref="ReplaceEnv"/>, replacing) the agent's.</summary>
    public IReadOnlyDictionary<string, string>? Env { get; init; }

    /// <summary>Start from an empty environment (plus <see cref="Env"/>) instead of the agent's.</summary>
    public bool ReplaceEnv { get; init; }

    /// <summary>Working directory; the agent's when null.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>User name (from the guest's /etc/passwd), "uid" or "uid:gid"; the agent's user when null.</summary>
    public string? User { get; init; }

    /// <summary>Give the process a stdin pipe; otherwise stdin is /dev/null.</summary>
    public bool Stdin { get; init; }

    /// <summary>Kill the whole process group after this long; the exit code is then 124.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Run on a pseudo-terminal of this size (stdout and stderr merge).</summary>
    public PtySize? Pty { get; init; }

    /// <summary>
    /// Most stdout+stderr bytes kept; the rest is discarded and the result marked truncated. Null means
    /// <see cref="AgentClientOptions.DefaultOutputCap"/> for <see cref="AgentClient.ExecAsync"/> and no cap
    /// when streaming; 0 means no cap.
    /// </summary>
    public long? OutputCap { get; init; }

    /// <summary>A request running <paramref name="script"/> with <c>/bin/sh -c</c>.</summary>
    public static ExecRequest ForShell(string script) => new() { Shell = script };

    /// <summary>A request running <paramref name="argv"/> directly.</summary>
    public static ExecRequest ForArgv(params string[] argv) => new() { Argv = argv };

    internal byte[] Encode(long outputCap, int window)
    {
        if ((Argv is null || Argv.Count == 0) == (Shell is null))
        {
            throw new ArgumentException("set exactly one of Argv (non-empty) and Shell");
        }

        var w = new TlvWriter();
        if (Shell is not null)
        {
            w.String(AgentTag.Shell, Shell);
        }
        else
        {
            foreach (var a in Argv!)
            {
                w.String(AgentTag.Argv, a);
            }
        }

        foreach (var (key, value) in Env ?? new Dictionary<string, string>())
        {
            if (key.Length == 0 || key.Contains('=', StringComparison.Ordinal))
            {
                throw new ArgumentException($"bad environment variable name '{key}'");
            }

            w.String(AgentTag.Env, key + "=" + value);
        }

        w.Bool(AgentTag.EnvReplace, ReplaceEnv);
        if (WorkingDirectory is not null)
        {
            w.String(AgentTag.Cwd, WorkingDirectory);
        }

        if (User is not null)
        {
            w.String(AgentTag.User, User);
        }

        w.Bool(AgentTag.Stdin, Stdin);
        if (Timeout is { } t)
        {
            w.UInt32(AgentTag.TimeoutMs, (uint)Math.Clamp(Math.Ceiling(t.TotalMilliseconds), 1, uint.MaxValue));
        }

        if (Pty is { } pty)
        {
            w.UInt32(AgentTag.PtyRows, (uint)Math.Clamp(pty.Rows, 1, 65535));
            w.UInt32(AgentTag.PtyCols, (uint)Math.Clamp(pty.Columns, 1, 65535));
        }

        w.UInt64(AgentTag.OutputCap, (ulong)Math.Max(0, outputCap));
        w.UInt32(AgentTag.Window, (uint)window);
        if (w.Length > AgentFrame.MaxPayload)
        {
            throw new ArgumentException($"exec request encodes to {w.Length} bytes; the limit is {AgentFrame.MaxPayload}");
        }

        return w.ToArray();
    }
}
