namespace Sandbox86.Server.Sandboxes;

/// <summary>Lifecycle of a sandbox; the names are E2B's <c>state</c> values.</summary>
internal enum SandboxState
{
    Starting,
    Running,
    Paused,
}
