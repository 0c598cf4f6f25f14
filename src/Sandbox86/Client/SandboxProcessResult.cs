namespace Sandbox86.Client;

/// <summary>How a command ended (envd's end event).</summary>
/// <param name="ExitCode">The exit status; for a command ended by a signal, 128 plus the signal number, as a shell reports it.</param>
/// <param name="Exited">False when a signal ended it.</param>
/// <param name="Status">envd's status text (<c>exit status 3</c>, <c>signal: killed</c>).</param>
/// <param name="Error">envd's error text (<c>deadline exceeded</c>), or null.</param>
public sealed record SandboxProcessResult(int ExitCode, bool Exited, string Status, string? Error);
