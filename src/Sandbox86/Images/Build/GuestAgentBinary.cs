using Sandbox86.Guest;
using Sandbox86.Runtime;

namespace Sandbox86.Images.Build;

/// <summary>
/// The static i386 guest agent that goes into every image, taken from <see cref="RuntimeAssets"/>
/// (prebuilt package content), and its identity as recorded in image.json.
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

    /// <summary>
    /// The agent binary to install: the prebuilt one from package content, or — in a checkout
    /// (<see cref="RuntimeAssets.AgentSourceDirectory"/> set, development only) — the one agent/build.sh
    /// brings up to date with gcc first.
    /// </summary>
    public static async Task<string> ResolveAsync(RuntimeAssets assets, CancellationToken cancellationToken)
    {
        if (assets.AgentSourceDirectory is { } sources && File.Exists(Path.Combine(sources, "build.sh")))
        {
            try
            {
                // build.sh is idempotent and cheap when the binary is up to date.
                var built = await AgentBinary.EnsureBuiltAsync(Path.GetDirectoryName(Path.GetFullPath(sources))!, cancellationToken);
                return File.Exists(built) ? built : throw new ImageException($"agent build did not produce {built}");
            }
            catch (InvalidOperationException e)
            {
                throw new ImageException(e.Message, e);
            }
        }

        return File.Exists(assets.AgentBinary)
            ? assets.AgentBinary
            : throw new ImageException($"guest agent not found at {assets.AgentBinary} ({assets.Origin})");
    }
}
