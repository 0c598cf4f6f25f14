namespace Sandbox86.Client;

/// <summary>One requested fork (E2B's <c>SandboxForkResult</c>): exactly one of <see cref="Sandbox"/> and <see cref="Error"/> is set.</summary>
/// <param name="Sandbox">The new sandbox when the fork started.</param>
/// <param name="Error">Why it did not, as the server said.</param>
public sealed record SandboxForkResult(SandboxInfo? Sandbox, string? Error);

/// <summary>One line of a sandbox's guest console (E2B's <c>SandboxLog</c>).</summary>
/// <param name="Timestamp">When the server recorded it.</param>
/// <param name="Line">The text, without its line break.</param>
public sealed record SandboxLogLine(DateTimeOffset Timestamp, string Line);
