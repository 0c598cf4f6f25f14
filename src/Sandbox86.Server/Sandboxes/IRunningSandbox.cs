using Sandbox86.Machines;

namespace Sandbox86.Server.Sandboxes;

/// <summary>What the envd data plane may use of a running sandbox.</summary>
internal interface IRunningSandbox
{
    string SandboxId { get; }

    /// <summary>The envd access token (checked against <c>X-Access-Token</c>); null when created without <c>secure</c>.</summary>
    string? EnvdAccessToken { get; }

    /// <summary>The VM; commands and files go through <c>Machine.Agent</c>.</summary>
    Machine Machine { get; }

    /// <summary>Environment variables given at create (<c>envVars</c>): the base of every process's environment.</summary>
    IReadOnlyDictionary<string, string> EnvVars { get; }

    /// <summary>Cancelled when the sandbox stops running (paused, killed, timed out, server shutdown).</summary>
    CancellationToken Stopping { get; }

    /// <summary>Per-sandbox state owned by the data plane (process table, watchers), created once, disposed when the sandbox stops.</summary>
    T GetOrAddFeature<T>(Func<T> create)
        where T : class, IAsyncDisposable;
}
