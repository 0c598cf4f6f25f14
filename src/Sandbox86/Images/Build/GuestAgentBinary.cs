namespace Sandbox86.Images.Build;

/// <summary>
/// The static i386 guest agent, built from <c>agent/</c> with <c>gcc -m32 -static</c> on first use.
/// </summary>
internal static class GuestAgentBinary
{
    /// <summary>
    /// The agent's identity as recorded in image.json: a digest of the built binary, so an image made
    /// with an older agent is recognisably stale (see <c>image build --if-stale</c>).
    /// </summary>
    public static string VersionOf(string binaryPath)
    {
        using var stream = File.OpenRead(binaryPath);
        return "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream))[..16];
    }

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
