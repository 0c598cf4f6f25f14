namespace Sandbox86.Images.Build;

/// <summary>
/// The static i386 guest agent, built from <c>agent/</c> with <c>gcc -m32 -static</c> on first use.
/// </summary>
internal static class GuestAgentBinary
{
    public static string Version => "1";

    public static string OutputPath => Path.Combine(Util.SandboxPaths.RepoRoot, "agent", "out", "sandbox86-agent");

    public static async Task<string> EnsureBuiltAsync(CancellationToken cancellationToken)
    {
        var script = Path.Combine(Util.SandboxPaths.RepoRoot, "agent", "build.sh");
        if (!File.Exists(script))
        {
            throw new ImageException($"agent sources not found at {script}");
        }

        // build.sh is idempotent and cheap when the binary is up to date.
        await HostCommand.RunAsync("bash", [script], Path.GetDirectoryName(script), cancellationToken);
        if (!File.Exists(OutputPath))
        {
            throw new ImageException($"agent build did not produce {OutputPath}");
        }

        return OutputPath;
    }
}
