using System.Security.Cryptography;
using System.Text;

namespace Sandbox86.Images.Build;

/// <summary>
/// The second build stage for Debian images: a copy of the cached minbase bootstrap with packages
/// installed by apt's resolver inside the tree (debootstrap's <c>--include</c> does not order
/// configure-time dependency chains such as npm's and leaves them unconfigured), the agent account
/// and the lean login shell. Cached by bootstrap, package set and <see cref="Recipe"/>, so a rebuild
/// is a directory import.
/// </summary>
internal static class AptLayer
{
    /// <summary>Bump when what this stage writes changes, so cached layers are rebuilt.</summary>
    internal const int Recipe = 1;

    /// <summary>Every Debian image gets these through apt (on top of the bootstrap's <see cref="ImageBuildOptions.BasePackages"/>).</summary>
    public static readonly IReadOnlyList<string> AgentPackages = ["sudo"];

    /// <summary>The packages the layer installs: the agent's, then the caller's, each once, in a stable order.</summary>
    internal static IReadOnlyList<string> PackagesFor(IReadOnlyList<string> extra) =>
        AgentPackages.Concat(extra.Order(StringComparer.Ordinal)).Distinct(StringComparer.Ordinal).ToList();

    internal static string KeyFor(string bootstrapName, IReadOnlyList<string> packages) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{bootstrapName}:{Recipe}:{string.Join(',', packages)}")))[..12];

    public static async Task<string> EnsureAsync(string bootstrap, IReadOnlyList<string> extraPackages, IBuildProgress progress, CancellationToken cancellationToken)
    {
        var packages = PackagesFor(extraPackages);
        var target = $"{bootstrap}+apt-{KeyFor(Path.GetFileName(bootstrap), packages)}";
        if (File.Exists(Path.Combine(target, ".sandbox86-complete")))
        {
            progress.Detail($"reusing cached package layer {Path.GetFileName(target)}");
            return target;
        }

        if (!HostCommand.IsRoot)
        {
            throw new ImageException("installing Debian packages into the image tree (chroot, mount) needs root: run as root, or build with --from-tar/--from-oci/--from-dir");
        }

        var staging = target + ".staging";
        DeleteStaging(staging);
        // Same mirror as the bootstrap: debootstrap wrote it into the tree's sources.list.
        await HostCommand.RunAsync("cp", ["-a", "--reflink=auto", bootstrap, staging], null, cancellationToken);
        File.Delete(Path.Combine(staging, ".sandbox86-complete"));
        try
        {
            await using (var chroot = await Chroot.EnterAsync(staging, cancellationToken))
            {
                progress.Detail("apt-get update");
                var update = await chroot.RunCapturedAsync(["apt-get", "update", "-q"], cancellationToken);
                if (update.ExitCode != 0)
                {
                    throw new ImageException("apt-get update in the image tree failed: " + AptFailure.Describe(packages, update.Output, update.ExitCode));
                }

                progress.Detail($"apt-get install {string.Join(' ', packages)}");
                var install = await chroot.RunCapturedAsync(
                    ["apt-get", "install", "-y", "-q", "--no-install-recommends", "-o", "Dpkg::Use-Pty=0", "--", .. packages], cancellationToken,
                    line =>
                    {
                        if (line.StartsWith("Setting up ", StringComparison.Ordinal) || line.StartsWith("Unpacking ", StringComparison.Ordinal))
                        {
                            progress.Detail(line);
                        }
                    });
                if (install.ExitCode != 0)
                {
                    throw new ImageException(AptFailure.Describe(packages, install.Output, install.ExitCode));
                }

                await chroot.RunAsync(["apt-get", "clean"], cancellationToken);
                progress.Detail($"account {AgentAccount.Name} ({AgentAccount.Id}) with passwordless sudo; lean login shell");
                await AgentAccount.CreateAsync(chroot, cancellationToken);
                LoginShell.Apply(staging);
            }

            File.WriteAllText(Path.Combine(staging, ".sandbox86-complete"), DateTimeOffset.UtcNow.ToString("O"));
            DeleteStaging(target);
            Directory.Move(staging, target);
            return target;
        }
        catch
        {
            DeleteStaging(staging);
            throw;
        }
    }

    private static void DeleteStaging(string path)
    {
        if (Chroot.HasMountsUnder(path))
        {
            throw new ImageException($"{path} still has something mounted below it; unmount it (umount -R) before building again");
        }

        Store.ImageStore.TryDeleteDirectory(path);
    }
}
