using System.Text;

namespace Sandbox86.Guest;

/// <summary>How a guest process ended, with its collected output.</summary>
public sealed record ExecResult
{
    /// <summary>Exit code; 128+N when killed by signal N, 124 on timeout, 127/126 when it could not be executed.</summary>
    public required int ExitCode { get; init; }

    /// <summary>The terminating signal, or 0.</summary>
    public int Signal { get; init; }

    /// <summary>The timeout expired and the process group was killed.</summary>
    public bool TimedOut { get; init; }

    /// <summary>Output went past the cap; the excess was discarded.</summary>
    public bool Truncated { get; init; }

    /// <summary>Collected stdout (empty when output was streamed with <see cref="ExecProcess.ReadOutputAsync"/>).</summary>
    public ReadOnlyMemory<byte> Stdout { get; init; }

    /// <summary>Collected stderr (empty when output was streamed).</summary>
    public ReadOnlyMemory<byte> Stderr { get; init; }

    /// <summary>Stdout decoded as UTF-8.</summary>
    public string StdoutText => Encoding.UTF8.GetString(Stdout.Span);

    /// <summary>Stderr decoded as UTF-8.</summary>
    public string StderrText => Encoding.UTF8.GetString(Stderr.Span);
}
