namespace Sandbox86.Images.Store;

/// <summary>
/// A running machine's hold on the build it reads: a shared <c>flock</c> on the build's <c>.lease</c>
/// file (.NET takes LOCK_SH for a read-only open that shares, LOCK_EX for <see cref="FileShare.None"/>).
/// The collector removes a build only after taking the exclusive lock, so a build stays on disk exactly
/// as long as some process holds a lease on it; a crashed process's lease ends with it (the kernel
/// drops its locks), which a timer could never know.
/// </summary>
internal sealed class BuildLease : IDisposable
{
    internal const string FileName = ".lease";
    private const int MaxResolveAttempts = 10;

    private FileStream? _stream;

    private BuildLease(StoredImage image, FileStream? stream)
    {
        Image = image;
        _stream = stream;
    }

    /// <summary>The build held (may differ from the one asked for if that was collected meanwhile).</summary>
    public StoredImage Image { get; }

    /// <summary>
    /// Leases <paramref name="image"/>'s build. If that build was collected between resolving the
    /// name and now (the name was rebuilt or removed), the name is resolved again.
    /// </summary>
    public static BuildLease Acquire(StoredImage image)
    {
        for (var attempt = 0; attempt < MaxResolveAttempts; attempt++)
        {
            if (TryShared(image.Directory, out var stream))
            {
                return new BuildLease(image, stream);
            }

            var store = ImageStore.ForBuildDirectory(image.Directory)
                ?? throw new ImageStoreException($"the build of image '{image.Name}' at {image.Directory} is gone");
            var current = store.Open(image.Name);
            if (current.Directory == image.Directory)
            {
                // Still named but momentarily locked: a collector that will re-check the name and skip it.
                Thread.Sleep(20);
            }

            image = current;
        }

        throw new ImageStoreException($"could not lease a build of image '{image.Name}': it keeps being replaced");
    }

    /// <summary>Takes a shared lock; false when the build is gone or being collected.</summary>
    internal static bool TryShared(string buildDirectory, out FileStream? stream)
    {
        stream = null;
        try
        {
            stream = new FileStream(Path.Combine(buildDirectory, FileName), FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite);
        }
        catch (UnauthorizedAccessException)
        {
            // A read-only build (not ours to collect, so nobody can remove it under us): no lease needed.
            return File.Exists(Path.Combine(buildDirectory, "image.json"));
        }
        catch (IOException)
        {
            // DirectoryNotFound: collected. Otherwise a sharing violation: a collector holds it exclusively.
            return false;
        }

        // A collector renames the directory away while it holds the exclusive lock; if that happened
        // just before our lock, our file is in the renamed directory and this path is gone.
        if (!File.Exists(Path.Combine(buildDirectory, "image.json")))
        {
            stream.Dispose();
            stream = null;
            return false;
        }

        return true;
    }

    /// <summary>Takes the exclusive lock a collector needs; null while any machine holds a lease.</summary>
    internal static FileStream? TryExclusive(string buildDirectory)
    {
        try
        {
            return new FileStream(Path.Combine(buildDirectory, FileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Releases the lease (idempotent: called on dispose and when the worker exits).</summary>
    public void Dispose() => Interlocked.Exchange(ref _stream, null)?.Dispose();
}
