namespace Sandbox86.Server.Sandboxes;

/// <summary>
/// The seam between the control plane (which owns sandboxes and their lifetime) and the envd data plane
/// (which serves process and filesystem calls into one running sandbox, chosen by <c>E2b-Sandbox-Id</c>).
/// </summary>
internal interface ISandboxDirectory
{
    /// <summary>Finds a sandbox by id for an envd call.</summary>
    SandboxLookup Find(string sandboxId);
}

internal enum SandboxLookupStatus
{
    /// <summary>No sandbox has this id (E2B's proxy answers 502 "sandbox not found"; we answer 404).</summary>
    NotFound,

    /// <summary>The sandbox exists but is paused or starting: envd calls get 409 until it runs.</summary>
    NotRunning,

    Running,
}

internal readonly record struct SandboxLookup(SandboxLookupStatus Status, IRunningSandbox? Sandbox)
{
    public static SandboxLookup NotFound => new(SandboxLookupStatus.NotFound, null);

    public static SandboxLookup NotRunning => new(SandboxLookupStatus.NotRunning, null);
}
