namespace Sandbox86.Guest;

/// <summary>A chunk of output from a running process, in the order the agent read it.</summary>
/// <param name="Kind">Source stream, or the truncation marker.</param>
/// <param name="Data">The bytes (empty for the marker).</param>
public readonly record struct ExecOutput(ExecOutputKind Kind, ReadOnlyMemory<byte> Data);
