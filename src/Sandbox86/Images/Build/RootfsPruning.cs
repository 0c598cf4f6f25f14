using Sandbox86.Images.Fs;

namespace Sandbox86.Images.Build;

/// <summary>Drops what a sandbox never reads from a debootstrapped tree: docs, man pages, locales, apt caches.</summary>
internal static class RootfsPruning
{
    private static readonly string[] DebianJunk =
    [
        "/usr/share/doc", "/usr/share/man", "/usr/share/info", "/usr/share/lintian", "/usr/share/linda",
        // Completion scripts: sourced by interactive bash only, and seconds of parsing in v86.
        "/usr/share/bash-completion",
        "/var/cache/apt/archives", "/var/cache/apt/pkgcache.bin", "/var/cache/apt/srcpkgcache.bin",
        "/var/lib/apt/lists", "/var/log/bootstrap.log", "/var/cache/debconf/templates.dat-old",
    ];

    public static void PruneDebian(FsTree tree)
    {
        foreach (var path in DebianJunk)
        {
            tree.Remove(path);
        }

        // Keep the directories apt expects to exist, empty.
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        foreach (var dir in new[] { "/var/lib/apt/lists", "/var/cache/apt/archives" })
        {
            tree.AddDirectory(dir, 0x1ED, 0, 0, now);
        }

        if (tree.Lookup("/usr/share/locale") is { Kind: FsNodeKind.Directory } locales)
        {
            foreach (var child in locales.Children!.Select(c => c.Name).Where(k => k != "locale.alias").ToList())
            {
                tree.Remove("/usr/share/locale/" + child);
            }
        }
    }
}
