using Sandbox86.Guest;

namespace Sandbox86.Tests.Guest;

/// <summary>Builds the real agent once per test run; records why not when the host cannot.</summary>
public sealed class AgentBuildFixture : IAsyncLifetime
{
    public string? AgentPath { get; private set; }

    public string? SkipReason { get; private set; }

    public async Task InitializeAsync()
    {
        if (!OperatingSystem.IsLinux())
        {
            SkipReason = "the agent is a Linux binary";
            return;
        }

        var root = AgentBinary.FindRepoRoot();
        if (root is null)
        {
            SkipReason = "repository root (agent/build.sh) not found above the test directory";
            return;
        }

        try
        {
            AgentPath = await AgentBinary.EnsureBuiltAsync(root);
        }
        catch (InvalidOperationException ex)
        {
            SkipReason = $"cannot build the agent with gcc -m32 -static (install gcc-multilib): {ex.Message}";
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
