using Sandbox86.Guest;
using Sandbox86.Server.Sandboxes;

namespace Sandbox86.Server.Envd;

/// <summary>Whether the image has E2B's <c>user</c> account, asked once per sandbox (<c>id -u user</c>).</summary>
internal sealed class DefaultUser(IRunningSandbox sandbox) : IAsyncDisposable
{
    private readonly Lazy<Task<bool>> _hasUser = new(() => ProbeAsync(sandbox));

    public Task<bool> HasUserAsync() => _hasUser.Value;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static async Task<bool> ProbeAsync(IRunningSandbox sandbox)
    {
        var result = await sandbox.Machine.Agent.ExecAsync(
            new ExecRequest { Argv = ["id", "-u", "user"], OutputCap = 256, Timeout = TimeSpan.FromSeconds(10) },
            sandbox.Stopping).ConfigureAwait(false);
        return result.ExitCode == 0;
    }
}
