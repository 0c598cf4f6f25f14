using System.Text.RegularExpressions;

namespace Sandbox86.Images.Build;

/// <summary>
/// Fetches Debian packages for i386 through the host's apt configuration and caches their contents.
/// The mirror is read from the host's apt sources at run time rather than named in our code.
/// </summary>
internal sealed partial class DebianArchive
{
    private readonly string _cacheRoot;

    public DebianArchive(string cacheRoot)
    {
        _cacheRoot = cacheRoot;
    }

    /// <summary>The first Debian "main" mirror in the host's apt sources (deb822 or one-line format).</summary>
    public static string FindMirror()
    {
        var candidates = new List<string>();
        if (File.Exists("/etc/apt/sources.list"))
        {
            candidates.Add("/etc/apt/sources.list");
        }

        if (Directory.Exists("/etc/apt/sources.list.d"))
        {
            candidates.AddRange(Directory.EnumerateFiles("/etc/apt/sources.list.d").Order(StringComparer.Ordinal));
        }

        foreach (var file in candidates)
        {
            foreach (var line in File.ReadLines(file))
            {
                var m = UriPattern().Match(line);
                if (m.Success && !m.Groups["uri"].Value.Contains("security", StringComparison.Ordinal))
                {
                    return m.Groups["uri"].Value.TrimEnd('/');
                }
            }
        }

        throw new ImageException("no Debian mirror found in /etc/apt/sources.list(.d): configure apt first");
    }

    /// <summary>Downloads <paramref name="package"/> (i386) and extracts it; returns the extraction directory.</summary>
    public async Task<string> ExtractAsync(string package, CancellationToken cancellationToken)
    {
        var target = Path.Combine(_cacheRoot, "debs", package.Replace(':', '_'));
        if (File.Exists(Path.Combine(target, ".complete")))
        {
            return target;
        }

        var download = Path.Combine(_cacheRoot, "downloads", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(download);
        try
        {
            await DownloadWithUpdateAsync(package, download, cancellationToken);
            var deb = Directory.EnumerateFiles(download, "*.deb").SingleOrDefault()
                ?? throw new ImageException($"apt-get download {package} produced no .deb");
            var staging = target + ".staging." + Guid.NewGuid().ToString("N");
            Directory.CreateDirectory(staging);
            await HostCommand.RunAsync("dpkg-deb", ["-x", deb, staging], null, cancellationToken);
            File.WriteAllText(Path.Combine(staging, ".complete"), Path.GetFileName(deb));
            if (Directory.Exists(target))
            {
                Store.ImageStore.TryDeleteDirectory(target);
            }

            Directory.Move(staging, target);
            return target;
        }
        finally
        {
            Store.ImageStore.TryDeleteDirectory(download);
        }
    }

    /// <summary>Resolves a virtual/meta package such as <c>linux-image-686</c> to the real one it depends on.</summary>
    public static async Task<string> ResolveKernelPackageAsync(CancellationToken cancellationToken)
    {
        var output = await RunAptAsync("apt-cache", ["depends", "linux-image-686:i386"], cancellationToken);
        var m = KernelDependsPattern().Match(output);
        if (!m.Success)
        {
            throw new ImageException("cannot resolve linux-image-686:i386 in apt (run 'dpkg --add-architecture i386 && apt-get update')");
        }

        return m.Groups["pkg"].Value + ":i386";
    }

    private static async Task DownloadWithUpdateAsync(string package, string directory, CancellationToken cancellationToken)
    {
        try
        {
            await HostCommand.RunAsync("apt-get", ["download", "-q", package], directory, cancellationToken);
        }
        catch (ImageException)
        {
            // Stale or missing package lists are the usual cause: refresh once and retry.
            await UpdateAsync(cancellationToken);
            await HostCommand.RunAsync("apt-get", ["download", "-q", package], directory, cancellationToken);
        }
    }

    private static async Task<string> RunAptAsync(string file, string[] args, CancellationToken cancellationToken)
    {
        var output = await HostCommand.RunAsync(file, args, null, cancellationToken);
        if (output.Contains("Depends:", StringComparison.Ordinal))
        {
            return output;
        }

        await UpdateAsync(cancellationToken);
        return await HostCommand.RunAsync(file, args, null, cancellationToken);
    }

    private static async Task UpdateAsync(CancellationToken cancellationToken)
    {
        try
        {
            await HostCommand.RunAsync("apt-get", ["update", "-q"], null, cancellationToken);
        }
        catch (ImageException)
        {
            // apt-get update exits non-zero when one index (often security) is mid-sync; the rest is usable.
        }
    }

    [GeneratedRegex(@"^\s*(?:URIs:|deb)\s+(?:\[[^\]]*\]\s+)?(?<uri>https?://\S+)")]
    private static partial Regex UriPattern();

    [GeneratedRegex(@"Depends:\s+(?<pkg>linux-image-[0-9][^\s:]*-686)")]
    private static partial Regex KernelDependsPattern();
}
