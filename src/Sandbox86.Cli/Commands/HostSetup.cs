using Sandbox86.Cli.Output;
using Sandbox86.Images.Build;
using Sandbox86.Runtime;

namespace Sandbox86.Cli.Commands;

/// <summary>
/// Checks the host packages a command needs before it starts and, as root, installs the missing ones
/// (the same as the <c>./sandbox86</c> launcher, so the installed tool needs no checkout); otherwise the
/// error names the <c>apt-get</c> line to run.
/// </summary>
internal static class HostSetup
{
    public static Task EnsureAsync(HostFeatures features, CancellationToken cancellationToken) =>
        HostPrerequisites.EnsureAsync(features, RuntimeAssets.Default, StderrLogger.Setup, cancellationToken);

    /// <summary>What an image build from <paramref name="source"/> needs.</summary>
    public static HostFeatures ForBuild(ImageSourceKind source) =>
        source == ImageSourceKind.Debian ? HostFeatures.DebianBuilds : HostFeatures.ImageBuilds;
}
