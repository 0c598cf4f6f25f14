using Sandbox86.Images.Fs;

namespace Sandbox86.Images.Import;

/// <summary>An OCI image layout unpacked in a directory.</summary>
internal sealed class DirectoryBlobSource(string root) : IBlobSource
{
    public bool Exists(string relativePath) => Resolve(relativePath) is { } path && File.Exists(path);

    public Stream Open(string relativePath)
    {
        var path = Resolve(relativePath);
        if (path is null || !File.Exists(path))
        {
            throw new ImageException($"'{relativePath}' is missing from the image layout in {root}");
        }

        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
    }

    public void Dispose()
    {
    }

    private string? Resolve(string relativePath)
    {
        // Paths come from the image's own JSON: never let one climb out of the layout.
        var parts = FsPath.Normalize(relativePath);
        return parts is null || parts.Count == 0 ? null : Path.Combine([root, .. parts]);
    }
}
