namespace Sandbox86.Client;

/// <summary>One requested fork (E2B's <c>SandboxForkResult</c>): exactly one of <see cref="Sandbox"/> and <see cref="Error"/> is set.</summary>
/// <param name="Sandbox">The new sandbox when the fork started.</param>
/// <param name="Error">Why it did not, as the server said.</param>
public sealed record SandboxForkResult(SandboxInfo? Sandbox, string? Error);
