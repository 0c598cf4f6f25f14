using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Sandbox86.Images.Store;
using Sandbox86.Machines;

namespace Sandbox86.Web;

/// <summary>
/// Builds a static site that runs an image in a browser (<c>sandbox86 prepare</c>): the page, xterm.js and
/// v86 (copied from the pinned npm packages), the image as v86 loads it (<c>fs.json</c>, chunks, kernel,
/// initrd), the BIOS, and a saved state of the guest with a login shell on its console, zstd-compressed and
/// split into parts the page fetches in parallel. Every URL in it is relative, and v86 needs no
/// SharedArrayBuffer, so any static server serves it from any path with no special headers.
/// </summary>
public static class WebSite
{
    /// <summary>
    /// Writes the site for <paramref name="image"/> to <paramref name="directory"/> (created, or replaced when it
    /// holds an earlier site; a directory with other contents is refused). Built aside and moved into place, so
    /// a failure leaves the old site or nothing.
    /// </summary>
    public static async Task<WebSiteResult> PrepareAsync(StoredImage image, string directory, WebSiteOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        var relay = ValidateRelayUrl(options.RelayUrl);
        var assets = options.Assets ?? Runtime.RuntimeAssets.Default;
        var files = WebAssetFiles.Resolve(assets);
        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        CheckTarget(target);

        using var lease = BuildLease.Acquire(image);
        image = lease.Image;
        // A site is made once, and its first one cold-boots the console-shell snapshot: on the shared 2-core machine at
        // load 40-50 that boot took over the machines' default 120 s (measured 2026-12-02), so prepare waits longer.
        var machineOptions = new MachineOptions { MemoryMb = options.MemoryMb, ConsoleShell = true, Assets = assets, Logger = options.Logger, BootTimeout = TimeSpan.FromMinutes(10) };
        var memory = Machine.ResolveMemory(image, machineOptions);

        var parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        var work = Path.Combine(parent, $".{Path.GetFileName(target)}.tmp.{Environment.ProcessId}.{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            options.Progress?.Invoke("copying the page, xterm.js and v86");
            foreach (var (source, name) in files)
            {
                var to = Path.Combine(work, name);
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                File.Copy(source, to);
            }

            var title = options.Title ?? $"sandbox86: {image.Name}";
            var index = Path.Combine(work, "index.html");
            File.WriteAllText(index, File.ReadAllText(index).Replace("<title>sandbox86</title>", $"<title>{WebUtility.HtmlEncode(title)}</title>", StringComparison.Ordinal));

            options.Progress?.Invoke("copying the image");
            CopyImage(image, work);
            Directory.CreateDirectory(Path.Combine(work, "bios"));
            File.Copy(HostFirmware.Bios, Path.Combine(work, "bios", "bios.bin"));
            File.Copy(HostFirmware.VgaBios, Path.Combine(work, "bios", "vgabios.bin"));

            var state = await WebState.WriteAsync(image, memory, relay is not null, machineOptions, work, options.Progress, cancellationToken);
            var manifest = new SiteManifest
            {
                Title = title,
                Image = image.Name,
                BuildId = image.Manifest.BuildId,
                MemoryMb = memory,
                Bios = "bios/bios.bin",
                VgaBios = "bios/vgabios.bin",
                FsIndex = "image/fs.json",
                Chunks = "image/chunks/",
                RelayUrl = relay,
                State = state,
            };
            File.WriteAllBytes(Path.Combine(work, "site.json"), JsonSerializer.SerializeToUtf8Bytes(manifest, SiteJsonContext.Default.SiteManifest));

            Snapshots.Publish(work, target);
            var all = new DirectoryInfo(target).EnumerateFiles("*", SearchOption.AllDirectories).ToList();
            return new WebSiteResult(target, all.Sum(f => f.Length), state.Bytes, state.Parts.Count, all.Count);
        }
        finally
        {
            // After an exchange with an older site, work holds that one.
            ImageStore.TryDeleteDirectory(work);
        }
    }

    /// <summary>An absolute ws:// or wss:// URL, or a relative path (resolved by the page against its own URL).</summary>
    internal static string? ValidateRelayUrl(string? url)
    {
        if (url is null)
        {
            return null;
        }

        if (Uri.TryCreate(url, UriKind.Absolute, out var absolute))
        {
            return absolute.Scheme is "ws" or "wss" && absolute.Host.Length > 0 && absolute.Fragment.Length == 0
                ? url
                : throw new WebSiteException($"relay URL '{url}' is not a ws:// or wss:// URL");
        }

        return url.Length > 0 && !url.Contains(':', StringComparison.Ordinal) && !url.StartsWith("//", StringComparison.Ordinal) && !url.Any(char.IsControl)
            ? url
            : throw new WebSiteException($"relay URL '{url}' is neither a ws:// or wss:// URL nor a relative path");
    }

    private static void CheckTarget(string target)
    {
        if (File.Exists(target))
        {
            throw new WebSiteException($"{target} is a file, not a directory");
        }

        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any() && !File.Exists(Path.Combine(target, "site.json")))
        {
            throw new WebSiteException($"{target} is not empty and holds no earlier site (site.json): refusing to replace it");
        }
    }

    private static void CopyImage(StoredImage image, string work)
    {
        var dir = Path.Combine(work, "image");
        var chunks = Path.Combine(dir, "chunks");
        Directory.CreateDirectory(chunks);
        Place(image.FsIndexPath, Path.Combine(dir, "fs.json"));
        Place(image.KernelPath, Path.Combine(dir, "vmlinuz"));
        Place(image.InitrdPath, Path.Combine(dir, "initrd.img"));
        foreach (var chunk in Directory.EnumerateFiles(image.ChunkDirectory))
        {
            Place(chunk, Path.Combine(chunks, Path.GetFileName(chunk)));
        }
    }

    // Chunks are immutable and content-named: a hard link costs nothing when the site is on the store's
    // file system; elsewhere the file is copied.
    private static void Place(string source, string target)
    {
        if (!StoreNative.TryLink(source, target))
        {
            File.Copy(source, target);
        }
    }

    internal static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
