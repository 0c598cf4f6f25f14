namespace Sandbox86.Images.Store;

/// <summary>
/// Pins: holds on a build that outlive a process. A lease (<see cref="BuildLease"/>) ends with the
/// process that holds it, which is right for a running VM but not for a paused one, whose saved state
/// only restores against the exact build it was taken from. A pin is a symlink <c>.pin.HOLDER</c> in
/// the store root pointing at the build, so collection (which keeps every build a link in the root
/// points at) keeps it until the holder unpins, across restarts of the holder and rebuilds of the name.
/// </summary>
public sealed partial class ImageStore
{
    private const string PinPrefix = ".pin.";

    /// <summary>Pins <paramref name="build"/> for <paramref name="holder"/> (1-64 of a-z, 0-9, '-', '_'); replaces that holder's earlier pin.</summary>
    public void Pin(StoredImage build, string holder)
    {
        ValidateHolder(holder);
        var link = Path.Combine(Root, $".{holder}.link.{Environment.ProcessId}.{Guid.NewGuid():N}");
        File.CreateSymbolicLink(link, Path.TrimEndingDirectorySeparator(build.Directory));
        try
        {
            // One rename: the build is referenced all along (by the temporary link, then the pin).
            StoreNative.Rename(link, Path.Combine(Root, PinPrefix + holder));
        }
        finally
        {
            DeleteEntry(link);
        }
    }

    /// <summary>Drops <paramref name="holder"/>'s pin (if any) and collects the build when nothing else holds it.</summary>
    public void Unpin(string holder)
    {
        ValidateHolder(holder);
        var pin = Path.Combine(Root, PinPrefix + holder);
        if (new FileInfo(pin).LinkTarget is null)
        {
            return;
        }

        File.Delete(pin);
        Collect();
    }

    /// <summary>The holders that have a pin whose name starts with <paramref name="prefix"/>.</summary>
    public IReadOnlyList<string> PinHolders(string prefix) =>
        !Directory.Exists(Root) ? []
        : [.. Directory.EnumerateFileSystemEntries(Root, PinPrefix + prefix + "*")
            .Select(p => Path.GetFileName(p)[PinPrefix.Length..])
            .Order(StringComparer.Ordinal)];

    private static void ValidateHolder(string holder)
    {
        if (holder.Length is < 1 or > 64 || holder.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_')))
        {
            throw new ImageStoreException($"invalid pin holder '{holder}': use 1-64 of a-z, 0-9, '-', '_'");
        }
    }
}
