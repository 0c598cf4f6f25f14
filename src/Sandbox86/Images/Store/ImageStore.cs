using System.Text.RegularExpressions;

namespace Sandbox86.Images.Store;

/// <summary>
/// The directory of built images (<c>$SANDBOX86_HOME/images/NAME</c>). Installs are atomic: an image is
/// built in a temp directory on the same filesystem and renamed into place, so readers never see half
/// an image. Per-image lock files serialise builds, snapshot creation and removal across processes.
/// </summary>
public sealed partial class ImageStore
{
    public ImageStore(string root)
    {
        Root = root;
    }

    public static ImageStore Default => new(Util.SandboxPaths.Images);

    public string Root { get; }

    public string LockPath(string name) => Path.Combine(Root, $".{name}.lock");

    public static void ValidateName(string name)
    {
        if (!NamePattern().IsMatch(name))
        {
            throw new ImageStoreException($"invalid image name '{name}': use 1-64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit");
        }
    }

    public bool Exists(string name) => File.Exists(Path.Combine(Root, name, "image.json"));

    public StoredImage Open(string name)
    {
        ValidateName(name);
        var dir = Path.Combine(Root, name);
        if (!File.Exists(Path.Combine(dir, "image.json")))
        {
            var known = List().Select(i => i.Name).ToList();
            var hint = known.Count == 0 ? "no images are built yet; run 'sandbox86 image build'" : "known: " + string.Join(", ", known);
            throw new ImageStoreException($"unknown image '{name}' ({hint})");
        }

        return StoredImage.Load(dir);
    }

    public IReadOnlyList<StoredImage> List()
    {
        if (!Directory.Exists(Root))
        {
            return [];
        }

        var images = new List<StoredImage>();
        foreach (var dir in Directory.EnumerateDirectories(Root).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(dir);
            if (name.StartsWith('.') || !File.Exists(Path.Combine(dir, "image.json")))
            {
                continue;
            }

            try
            {
                images.Add(StoredImage.Load(dir));
            }
            catch (ImageStoreException)
            {
                // A corrupt entry must not hide the others from 'image ls'.
            }
        }

        return images;
    }

    /// <summary>Moves a finished image directory into the store, replacing an older image of that name.</summary>
    public StoredImage Install(string builtDirectory, string name)
    {
        ValidateName(name);
        Directory.CreateDirectory(Root);
        var target = Path.Combine(Root, name);
        string? old = null;
        if (Directory.Exists(target))
        {
            old = Path.Combine(Root, $".{name}.old.{Guid.NewGuid():N}");
            Directory.Move(target, old);
            Directory.SetLastWriteTimeUtc(old, DateTime.UtcNow);
        }

        Directory.Move(builtDirectory, target);
        // VMs started from the old build still read its chunks lazily over 9p, so the old directory
        // is kept for a while and collected by a later install or removal.
        CollectRetired();
        return StoredImage.Load(target);
    }

    public void Remove(string name)
    {
        ValidateName(name);
        var target = Path.Combine(Root, name);
        if (!Directory.Exists(target))
        {
            throw new ImageStoreException($"unknown image '{name}'");
        }

        // Rename first so a concurrent reader sees either the whole image or none; running VMs keep
        // reading the renamed copy until it is collected.
        var retired = Path.Combine(Root, $".{name}.old.{Guid.NewGuid():N}");
        Directory.Move(target, retired);
        Directory.SetLastWriteTimeUtc(retired, DateTime.UtcNow);
        CollectRetired();
    }

    /// <summary>How long a replaced or removed image stays readable for VMs already running from it.</summary>
    public static readonly TimeSpan RetiredGracePeriod = TimeSpan.FromHours(6);

    private void CollectRetired()
    {
        foreach (var dir in Directory.EnumerateDirectories(Root, ".*.old.*"))
        {
            if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(dir) > RetiredGracePeriod)
            {
                TryDeleteDirectory(dir);
            }
        }

        // Build directories left by a crashed build (its process is gone) are garbage at once.
        foreach (var dir in Directory.EnumerateDirectories(Root, ".*.build.*"))
        {
            var parts = Path.GetFileName(dir).Split('.');
            if (parts.Length >= 4 && int.TryParse(parts[^2], out var pid) && !ProcessExists(pid))
            {
                TryDeleteDirectory(dir);
            }
        }
    }

    private static bool ProcessExists(int pid) => Directory.Exists($"/proc/{pid}");

    /// <summary>Creates a fresh build directory next to the store so the final rename is atomic.</summary>
    public string CreateBuildDirectory(string name)
    {
        var dir = Path.Combine(Root, $".{name}.build.{Environment.ProcessId}.{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static void TryDeleteDirectory(string path)
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
}
