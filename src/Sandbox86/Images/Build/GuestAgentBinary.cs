using Sandbox86.Guest;

namespace Sandbox86.Images.Build;

/// <summary>
/// The static i386 guest agent that goes into every image, built by <see cref="AgentBinary"/> from
/// <c>agent/</c> on first use, and its identity as recorded in image.json.
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

    public static async Task<string> EnsureBuiltAsync(CancellationToken cancellationToken)
    {
        var root = Util.SandboxPaths.RepoRoot;
        if (!File.Exists(Path.Combine(root, "agent", "build.sh")))
        {
            throw new ImageException($"agent sources not found under {root} (set SANDBOX86_ROOT to the sandbox86 checkout)");
        }

        try
        {
            // build.sh is idempotent and cheap when the binary is up to date.
            var path = await AgentBinary.EnsureBuiltAsync(root, cancellationToken);
            return File.Exists(path) ? path : throw new ImageException($"agent build did not produce {path}");
        }
        catch (InvalidOperationException e)
        {
            throw new ImageException(e.Message, e);
        }
    }
}
