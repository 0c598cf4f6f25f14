using Sandbox86.Images.Store;

namespace Sandbox86.Cli.Commands.Images;

/// <summary>The JSON shape of an image in <c>image ls/inspect/build --json</c>.</summary>
internal sealed record ImageView
{
    public required string Name { get; init; }
    /// <summary>The build's own directory (<c>images/.builds/BUILDID</c>), which the name points at.</summary>
    public required string Path { get; init; }
    public required string BuildId { get; init; }
    public required DateTimeOffset Created { get; init; }
    public required string Source { get; init; }
    public required string KernelVersion { get; init; }
    public required string Cmdline { get; init; }
    public required int MemoryMb { get; init; }
    public required ImageStats Stats { get; init; }
    /// <summary>Bytes on disk of the whole build directory (chunks, index, kernel, initrd, snapshots).</summary>
    public required long SizeBytes { get; init; }
    public required IReadOnlyDictionary<string, string> Digests { get; init; }
    public required IReadOnlyList<string> Snapshots { get; init; }
    public double? BuildSeconds { get; init; }

    public static ImageView From(StoredImage image, double? buildSeconds = null) => new()
    {
        Name = image.Name,
        Path = image.Directory,
        BuildId = image.Manifest.BuildId,
        Created = image.Manifest.Created,
        Source = image.Manifest.Source,
        KernelVersion = image.Manifest.KernelVersion,
        Cmdline = image.Manifest.Cmdline,
        MemoryMb = image.Manifest.MemoryMb,
        Stats = image.Manifest.Stats,
        SizeBytes = DirectorySize(image.Directory),
        Digests = image.Manifest.Digests,
        Snapshots = Directory.Exists(image.SnapshotDirectory)
            ? Directory.EnumerateDirectories(image.SnapshotDirectory).Select(System.IO.Path.GetFileName).OfType<string>()
                .Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal).ToList()
            : [],
        BuildSeconds = buildSeconds,
    };

    public static long DirectorySize(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

    public static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
}
