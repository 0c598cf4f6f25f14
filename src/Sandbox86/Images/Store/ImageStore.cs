using System.Text.RegularExpressions;

namespace Sandbox86.Images.Store;

/// <summary>
/// The directory of built images (<c>$SANDBOX86_HOME/images</c>). Every build is immutable and lives in
/// <c>.builds/BUILDID/</c>; <c>NAME</c> is a symlink to the current build. A machine resolves the name
/// once, leases that build (<see cref="BuildLease"/>) and is given that build's paths, so a rebuild or
/// removal never changes files under a running VM. Builds that no name points at are collected as soon
/// as no lease holds them. Per-image lock files serialise builds, removal and migration across processes.
/// </summary>
public sealed partial class ImageStore
{
    internal const string BuildsDirectoryName = ".builds";

    /// <summary>A store rooted at <paramref name="root"/> (created on the first build).</summary>
    public ImageStore(string root)
    {
        Root = Path.GetFullPath(root);
    }

    /// <summary>The store under <c>$SANDBOX86_HOME/images</c> (default <c>~/.cache/sandbox86/images</c>).</summary>
    public static ImageStore Default => new(Util.SandboxPaths.Images);

    /// <summary>The store's directory, as a full path.</summary>
    public string Root { get; }

    /// <summary>Where the builds live: <c>Root/.builds</c>.</summary>
    public string BuildsRoot => Path.Combine(Root, BuildsDirectoryName);

    /// <summary>The lock file that serialises builds, removal and migration of <paramref name="name"/>.</summary>
    internal string LockPath(string name) => Path.Combine(Root, $".{name}.lock");

    /// <summary>Throws <see cref="ImageStoreException"/> unless <paramref name="name"/> is 1-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit.</summary>
    public static void ValidateName(string name)
    {
        if (!NamePattern().IsMatch(name))
        {
            throw new ImageStoreException($"invalid image name '{name}': use 1-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit");
        }
    }

    /// <summary>The store a build directory belongs to, when it sits in one (<c>ROOT/.builds/ID</c>).</summary>
    internal static ImageStore? ForBuildDirectory(string buildDirectory)
    {
        var parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(buildDirectory));
        return parent is not null && Path.GetFileName(parent) == BuildsDirectoryName && Path.GetDirectoryName(parent) is { } root
            ? new ImageStore(root)
            : null;
    }

    /// <summary>True when an image of that name has been built.</summary>
    public bool Exists(string name) => File.Exists(Path.Combine(Root, name, "image.json"));

    /// <summary>Resolves a name to its current build (migrating an old-layout image directory first).</summary>
    public StoredImage Open(string name)
    {
        ValidateName(name);
        var pointer = Path.Combine(Root, name);
        if (IsLegacyDirectory(pointer))
        {
            MigrateLegacyLocked(name);
        }

        if (!File.Exists(Path.Combine(pointer, "image.json")))
        {
            var known = Names().ToList();
            var hint = known.Count == 0 ? "no images are built yet; run 'sandbox86 image build'" : "known: " + string.Join(", ", known);
            throw new ImageStoreException($"unknown image '{name}' ({hint})");
        }

        // Load resolves the symlink: the StoredImage names the build directory, never images/NAME.
        return StoredImage.Load(pointer);
    }

    /// <summary>Every image that opens cleanly, skipping broken ones.</summary>
    public IReadOnlyList<StoredImage> List()
    {
        var images = new List<StoredImage>();
        foreach (var name in Names())
        {
            try
            {
                images.Add(Open(name));
            }
            catch (ImageStoreException)
            {
                // A corrupt entry must not hide the others from 'image ls'.
            }
        }

        return images;
    }

    private IEnumerable<string> Names()
    {
        if (!Directory.Exists(Root))
        {
            return [];
        }

        return Directory.EnumerateFileSystemEntries(Root)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(n => !n.StartsWith('.') && NamePattern().IsMatch(n) && File.Exists(Path.Combine(Root, n, "image.json")))
            .Order(StringComparer.Ordinal);
    }

    /// <summary>
    /// Moves a finished build into <c>.builds/</c> and points the name at it (one atomic rename of the
    /// symlink), then collects builds nobody holds. The caller holds <see cref="LockPath"/>.
    /// </summary>
    public StoredImage Install(string builtDirectory, string name)
    {
        ValidateName(name);
        var manifest = StoredImage.Load(builtDirectory).Manifest;
        ValidateBuildId(manifest.BuildId);
        Directory.CreateDirectory(BuildsRoot);
        var build = Path.Combine(BuildsRoot, manifest.BuildId);
        // Lease the new build until the name points at it, so a concurrent collection (of another
        // name) cannot take it for an orphan in between.
        if (!BuildLease.TryShared(builtDirectory, out var installing))
        {
            throw new ImageStoreException($"the finished build at {builtDirectory} vanished before it was installed");
        }

        using (installing)
        {
            Directory.Move(builtDirectory, build);
            PointAt(name, manifest.BuildId);
        }

        Collect();
        return StoredImage.Load(build);
    }

    /// <summary>Removes the name; its build goes once no running machine holds it. The caller holds <see cref="LockPath"/>.</summary>
    public void Remove(string name)
    {
        ValidateName(name);
        var pointer = Path.Combine(Root, name);
        if (IsLegacyDirectory(pointer))
        {
            MigrateLegacy(name);
        }

        if (!File.Exists(Path.Combine(pointer, "image.json")) && new FileInfo(pointer).LinkTarget is null)
        {
            throw new ImageStoreException($"unknown image '{name}'");
        }

        File.Delete(pointer);
        Collect();
    }

    /// <summary>
    /// Deletes every build that no name points at and no lease holds, plus leftovers of crashed builds,
    /// collections and migrations. Safe to run at any time from any process.
    /// </summary>
    public void Collect()
    {
        if (Directory.Exists(BuildsRoot))
        {
            var referenced = ReferencedBuilds();
            foreach (var dir in Directory.EnumerateDirectories(BuildsRoot).ToList())
            {
                var entry = Path.GetFileName(dir);
                if (entry.StartsWith(".dead-", StringComparison.Ordinal))
                {
                    TryDeleteDirectory(dir);
                }
                else if (entry.StartsWith('.'))
                {
                    CollectIfOrphaned(dir);
                }
                else if (!referenced.Contains(dir))
                {
                    TryCollectBuild(dir);
                }
            }
        }

        if (!Directory.Exists(Root))
        {
            return;
        }

        // The old layout kept replaced images as .NAME.old.* for six hours; no lease protects them, and
        // every current machine runs from .builds/, so they go now.
        foreach (var entry in Directory.EnumerateFileSystemEntries(Root, ".*.old.*"))
        {
            DeleteEntry(entry);
        }

        foreach (var entry in Directory.EnumerateFileSystemEntries(Root, ".*.build.*").Concat(Directory.EnumerateFileSystemEntries(Root, ".*.link.*")).ToList())
        {
            CollectIfOrphaned(entry);
        }
    }

    private void TryCollectBuild(string dir)
    {
        var exclusive = BuildLease.TryExclusive(dir);
        if (exclusive is null)
        {
            return; // held by a running machine (or an install in progress)
        }

        string dead;
        using (exclusive)
        {
            // Re-check under the lock: an install may have pointed a name here after we listed them.
            if (ReferencedBuilds().Contains(dir))
            {
                return;
            }

            dead = Path.Combine(BuildsRoot, $".dead-{Guid.NewGuid():N}");
            // Renamed while exclusive: a lease taken after this finds the path gone and re-resolves.
            Directory.Move(dir, dead);
        }

        TryDeleteDirectory(dead);
    }

    private HashSet<string> ReferencedBuilds()
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in Directory.EnumerateFileSystemEntries(Root))
        {
            if (new FileInfo(entry).LinkTarget is { } target)
            {
                set.Add(Path.TrimEndingDirectorySeparator(Path.GetFullPath(target, Root)));
            }
        }

        return set;
    }

    /// <summary>Atomically (re)points <c>NAME</c> at a build: a new symlink renamed over the old one.</summary>
    private void PointAt(string name, string buildId)
    {
        // A symlink rather than a ref file: rename(2) swaps it atomically, and images/NAME/ stays a
        // directory to anything that reads it by path (v86 in a browser, older sandbox86 versions).
        var link = Path.Combine(Root, $".{name}.link.{Environment.ProcessId}.{Guid.NewGuid():N}");
        File.CreateSymbolicLink(link, Path.Combine(BuildsDirectoryName, buildId));
        try
        {
            var pointer = Path.Combine(Root, name);
            if (IsLegacyDirectory(pointer))
            {
                // rename(2) cannot replace a directory with a symlink; swap them in one step instead.
                ReplaceLegacyDirectory(pointer, link);
                return;
            }

            StoreNative.Rename(link, pointer);
        }
        finally
        {
            DeleteEntry(link);
        }
    }

    private static void CollectIfOrphaned(string entry)
    {
        // Work entries are named .PREFIX.PID.GUID (.NAME.build.PID.GUID, .migrate.PID.GUID, .NAME.link.PID.GUID):
        // garbage once that process is gone.
        var parts = Path.GetFileName(entry).Split('.');
        if (parts.Length >= 3 && int.TryParse(parts[^2], out var pid) && !ProcessExists(pid))
        {
            DeleteEntry(entry);
        }
    }

    private static bool ProcessExists(int pid) => Directory.Exists($"/proc/{pid}");

    /// <summary>Creates a fresh build directory inside the store so the final rename is atomic.</summary>
    public string CreateBuildDirectory(string name)
    {
        var dir = Path.Combine(Root, $".{name}.build.{Environment.ProcessId}.{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static void ValidateBuildId(string buildId)
    {
        if (!BuildIdPattern().IsMatch(buildId))
        {
            throw new ImageStoreException($"invalid build id '{buildId}' in image.json");
        }
    }

    private static void DeleteEntry(string path)
    {
        if (new FileInfo(path).LinkTarget is not null || File.Exists(path))
        {
            Util.AtomicFile.TryDelete(path);
        }
        else if (Directory.Exists(path))
        {
            TryDeleteDirectory(path);
        }
    }

    /// <summary>Deletes a directory tree, ignoring failures (best-effort cleanup of scratch and dead builds).</summary>
    internal static void TryDeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")]
    private static partial Regex BuildIdPattern();
}
