namespace Sandbox86.Client;

/// <summary>One line of a sandbox's guest console (E2B's <c>SandboxLog</c>).</summary>
/// <param name="Timestamp">When the server recorded it.</param>
/// <param name="Line">The text, without its line break.</param>
public sealed record SandboxLogLine(DateTimeOffset Timestamp, string Line);
