using System.Formats.Tar;
using Sandbox86.Images.Fs;

namespace Sandbox86.Images.Import;

/// <summary>
/// A docker-save archive or an OCI layout packed in a tar file. One pass records where each member's
/// data lies; members are then read in whatever order the manifest needs, straight from the file.
/// </summary>
internal sealed class TarBlobSource : IBlobSource
{
    private readonly string _path;
    private readonly string? _tempToDelete;
    private readonly Dictionary<string, (long Offset, long Length)> _members = new(StringComparer.Ordinal);

    private TarBlobSource(string path, string? tempToDelete)
    {
        _path = path;
        _tempToDelete = tempToDelete;
    }

    /// <summary>
    /// Indexes <paramref name="archivePath"/>. A compressed outer archive ("docker save | gzip") is first
    /// decompressed into <paramref name="scratchDir"/>, since members must be read out of order.
    /// </summary>
    public static TarBlobSource Open(string archivePath, string scratchDir)
    {
        string? temp = null;
        var name = Path.GetFileName(archivePath);
        try
        {
            using (var probe = File.OpenRead(archivePath))
            {
                if (ArchiveCompression.Detect(probe) != ArchiveCompression.Kind.None)
                {
                    temp = Path.Combine(scratchDir, ".tmp-oci-" + Guid.NewGuid().ToString("N") + ".tar");
                    TarImporter.Guard(name, () =>
                    {
                        using var input = ArchiveCompression.OpenDecompressed(File.OpenRead(archivePath), name);
                        using var output = File.Create(temp);
                        input.CopyTo(output);
                    });
                }
            }

            var source = new TarBlobSource(temp ?? archivePath, temp);
            TarImporter.Guard(name, source.Index);
            return source;
        }
        catch
        {
            if (temp is not null)
            {
                File.Delete(temp);
            }

            throw;
        }
    }

    public bool Exists(string relativePath) => Key(relativePath) is { } key && _members.ContainsKey(key);

    public Stream Open(string relativePath)
    {
        if (Key(relativePath) is not { } key || !_members.TryGetValue(key, out var member))
        {
            throw new ImageException($"'{relativePath}' is missing from {Path.GetFileName(_path)}");
        }

        var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return new SubStream(file, member.Offset, member.Length);
    }

    public void Dispose()
    {
        if (_tempToDelete is not null)
        {
            File.Delete(_tempToDelete);
        }
    }

    private void Index()
    {
        using var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var reader = new TarReader(file);
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.GetNextEntry() is { } entry)
        {
            if (Key(entry.Name) is not { } key)
            {
                continue;
            }

            switch (entry.EntryType)
            {
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                    _members[key] = (entry.DataOffset, entry.Length);
                    break;
                case TarEntryType.HardLink when Key(entry.LinkName) is { } target:
                    aliases[key] = target;
                    break;

                // docker save writes a layer shared by two images once and symlinks the other name to it.
                case TarEntryType.SymbolicLink when Key(ParentOf(key) + "/" + entry.LinkName) is { } target:
                    aliases[key] = target;
                    break;
            }
        }

        foreach (var (alias, first) in aliases)
        {
            var target = first;
            for (var hops = 0; hops < 8 && !_members.ContainsKey(target) && aliases.TryGetValue(target, out var next); hops++)
            {
                target = next;
            }

            if (_members.TryGetValue(target, out var member))
            {
                _members.TryAdd(alias, member);
            }
        }
    }

    private static string ParentOf(string key) => key.Contains('/', StringComparison.Ordinal) ? key[..key.LastIndexOf('/')] : string.Empty;

    private static string? Key(string path) =>
        FsPath.Normalize(path) is { Count: > 0 } parts ? string.Join('/', parts) : null;
}
