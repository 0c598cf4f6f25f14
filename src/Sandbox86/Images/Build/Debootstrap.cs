using System.Security.Cryptography;
using System.Text;

namespace Sandbox86.Images.Build;

/// <summary>
/// Runs <c>debootstrap --variant=minbase --arch=i386</c> with the base packages into the cache, keyed by
/// suite, so every image of a suite shares the ~3 minute bootstrap; extra packages go on top through
/// apt's resolver (<see cref="AptLayer"/>), cached per package set.
/// </summary>
internal static class Debootstrap
{
    /// <summary>The tree for an image: the shared bootstrap plus the package layer for <paramref name="extraPackages"/>.</summary>
    public static async Task<string> EnsureAsync(string suite, IReadOnlyList<string> extraPackages, IBuildProgress progress, CancellationToken cancellationToken)
    {
        foreach (var package in extraPackages)
        {
            ValidatePackageName(package);
        }

        var bootstrap = await EnsureBootstrapAsync(suite, progress, cancellationToken);
        return await AptLayer.EnsureAsync(bootstrap, extraPackages, progress, cancellationToken);
    }

    /// <summary>Debian policy's package name rule (lower case, digits, + - .; at least two characters, alphanumeric first).</summary>
    internal static void ValidatePackageName(string package)
    {
        if (package.Length < 2 || !char.IsAsciiLetterLower(package[0]) && !char.IsAsciiDigit(package[0])
            || !package.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.' or '+'))
        {
            throw new ImageException($"invalid Debian package name '{package}' (lower-case letters, digits, '+', '-', '.'; starting with a letter or digit)");
        }
    }

    private static async Task<string> EnsureBootstrapAsync(string suite, IBuildProgress progress, CancellationToken cancellationToken)
    {
        var packages = ImageBuildOptions.BasePackages.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(suite + ":" + string.Join(',', packages))))[..12];
        var target = Path.Combine(Util.SandboxPaths.Cache, "debootstrap", $"{suite}-i386-{key}");
        if (File.Exists(Path.Combine(target, ".sandbox86-complete")))
        {
            progress.Detail($"reusing cached debootstrap {Path.GetFileName(target)}");
            return target;
        }

        if (!HostCommand.IsRoot)
        {
            throw new ImageException("building from the Debian archive runs debootstrap, which needs root: run as root, or build from a tar, OCI or directory source");
        }

        var staging = target + ".staging";
        Store.ImageStore.TryDeleteDirectory(staging);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var mirror = DebianArchive.FindMirror();
        progress.Detail($"debootstrap {suite} i386 with {string.Join(',', packages)} (about 3 minutes)");
        await HostCommand.RunAsync("debootstrap",
            ["--arch=i386", "--variant=minbase", "--include=" + string.Join(',', packages), suite, staging, mirror],
            null, cancellationToken, line =>
            {
                if (line.StartsWith("I: ", StringComparison.Ordinal))
                {
                    progress.Detail(line[3..]);
                }
            });
        File.WriteAllText(Path.Combine(staging, ".sandbox86-complete"), DateTimeOffset.UtcNow.ToString("O"));
        Store.ImageStore.TryDeleteDirectory(target);
        Directory.Move(staging, target);
        return target;
    }
}
