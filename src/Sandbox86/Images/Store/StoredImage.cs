using System.Text.Json;

namespace Sandbox86.Images.Store;

/// <summary>
/// One build of an image: its directory (always the resolved build directory, e.g.
/// <c>images/.builds/BUILDID</c>, never the <c>images/NAME</c> symlink) and parsed manifest.
/// </summary>
public sealed class StoredImage
{
    /// <summary>Wraps an already-read manifest and the build directory it belongs to; <see cref="Load"/> reads one from disk.</summary>
    public StoredImage(string directory, ImageManifest manifest)
    {
        Directory = directory;
        Manifest = manifest;
    }

    /// <summary>The build directory every other path here is inside.</summary>
    public string Directory { get; }
    /// <summary>The parsed <c>image.json</c>.</summary>
    public ImageManifest Manifest { get; }
    /// <summary>The image's name in the store.</summary>
    public string Name => Manifest.Name;
    /// <summary>Full path of the kernel the machine boots.</summary>
    public string KernelPath => Path.Combine(Directory, Manifest.Kernel);
    /// <summary>Full path of the initial ramdisk.</summary>
    public string InitrdPath => Path.Combine(Directory, Manifest.Initrd);
    /// <summary>Full path of v86's filesystem index.</summary>
    public string FsIndexPath => Path.Combine(Directory, Manifest.FsIndex);
    /// <summary>Full path of the directory of file contents v86 loads on demand.</summary>
    public string ChunkDirectory => Path.Combine(Directory, Manifest.ChunkDir);
    /// <summary>Full path of the directory that holds this build's saved VM states.</summary>
    public string SnapshotDirectory => Path.Combine(Directory, "snapshots");

    /// <summary>The file holding the zstd v86 state inside a snapshot directory.</summary>
    public const string SnapshotStateFile = "state.zst";

    /// <summary>The sidecar (<see cref="SnapshotInfo"/>) inside a snapshot directory.</summary>
    public const string SnapshotMetaFile = "meta.json";

    /// <summary>
    /// The boot snapshot for a memory size (one per size: v86 states are tied to it): a directory
    /// holding <see cref="SnapshotStateFile"/> and <see cref="SnapshotMetaFile"/>, published with one rename.
    /// </summary>
    /// A machine with <see cref="Machines.MachineOptions.ConsoleShell"/> runs another guest (a shell on its
    /// console), so its boot snapshot has its own name (<c>boot-256m-console</c>).
    public string BootSnapshotPath(int memoryMb, bool consoleShell = false) => Path.Combine(SnapshotDirectory, $"boot-{memoryMb}m{ConsoleSuffix(consoleShell)}");

    /// <summary>The lock every writer of <see cref="BootSnapshotPath"/> holds (first-run creation, <c>boot --save</c>, discard).</summary>
    public string BootSnapshotLockPath(int memoryMb, bool consoleShell = false) => Path.Combine(SnapshotDirectory, $".boot-{memoryMb}m{ConsoleSuffix(consoleShell)}.lock");

    private static string ConsoleSuffix(bool consoleShell) => consoleShell ? "-console" : "";

    /// <summary>Reads the image in <paramref name="directory"/> (a build directory or a name symlink); throws <see cref="ImageStoreException"/> when its manifest is missing, unreadable or of another format.</summary>
    public static StoredImage Load(string directory)
    {
        directory = ResolveBuildDirectory(directory);
        var path = Path.Combine(directory, "image.json");
        ImageManifest? manifest;
        try
        {
            using var stream = File.OpenRead(path);
            manifest = JsonSerializer.Deserialize(stream, ImageJsonContext.Default.ImageManifest);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new ImageStoreException($"image at {directory} has an unreadable image.json: {e.Message}", e);
        }

        if (manifest is null || manifest.Format != ImageManifest.CurrentFormat)
        {
            throw new ImageStoreException($"image at {directory} has an unsupported image.json (format {manifest?.Format})");
        }

        return new StoredImage(directory, manifest);
    }

    /// <summary>Follows <c>images/NAME</c> to the build it points at, so every path handed out is that build's.</summary>
    private static string ResolveBuildDirectory(string directory)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        try
        {
            return new DirectoryInfo(full).ResolveLinkTarget(returnFinalTarget: true) is { } target
                ? Path.TrimEndingDirectorySeparator(target.FullName)
                : full;
        }
        catch (IOException)
        {
            return full; // dangling or looping: the manifest read below reports it
        }
    }

    internal static void WriteManifest(string directory, ImageManifest manifest)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(manifest, ImageJsonContext.Default.ImageManifest);
        Util.AtomicFile.WriteAllBytes(Path.Combine(directory, "image.json"), bytes);
    }
}
