using System.Text.Json;

namespace Sandbox86.Images.Store;

/// <summary>An image as it sits in the store: its directory and parsed manifest.</summary>
public sealed class StoredImage
{
    public StoredImage(string directory, ImageManifest manifest)
    {
        Directory = directory;
        Manifest = manifest;
    }

    public string Directory { get; }
    public ImageManifest Manifest { get; }
    public string Name => Manifest.Name;
    public string KernelPath => Path.Combine(Directory, Manifest.Kernel);
    public string InitrdPath => Path.Combine(Directory, Manifest.Initrd);
    public string FsIndexPath => Path.Combine(Directory, Manifest.FsIndex);
    public string ChunkDirectory => Path.Combine(Directory, Manifest.ChunkDir);
    public string SnapshotDirectory => Path.Combine(Directory, "snapshots");

    /// <summary>The boot snapshot for a memory size (one per size: v86 states are tied to it).</summary>
    public string BootSnapshotPath(int memoryMb) => Path.Combine(SnapshotDirectory, $"boot-{memoryMb}m.state.zst");

    public static StoredImage Load(string directory)
    {
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

    internal static void WriteManifest(string directory, ImageManifest manifest)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(manifest, ImageJsonContext.Default.ImageManifest);
        Util.AtomicFile.WriteAllBytes(Path.Combine(directory, "image.json"), bytes);
    }
}
