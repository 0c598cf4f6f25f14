namespace Sandbox86.Images.Import;

/// <summary>Files of an OCI layout or docker-save archive, by relative path ("index.json", "blobs/sha256/…").</summary>
internal interface IBlobSource : IDisposable
{
    bool Exists(string relativePath);

    /// <summary>Opens a seekable stream over the file; throws <see cref="ImageException"/> when absent.</summary>
    Stream Open(string relativePath);
}
