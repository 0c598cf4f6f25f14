using System.Formats.Tar;
using Sandbox86.Images.Fs;

namespace Sandbox86.Images.Import;

/// <summary>
/// Imports a rootfs tarball (plain, gzip, zstd, xz or bzip2, recognised by magic bytes; ustar, pax,
/// GNU and v7 formats) without extracting it, so ownership, modes and setuid bits survive even when
/// sandbox86 does not run as root. See <see cref="TarApplier"/> for the path policy.
/// </summary>
internal static class TarImporter
{
    /// <summary>Imports <paramref name="tarPath"/>, storing file contents in <paramref name="store"/>.</summary>
    public static ImportResult Import(string tarPath, ChunkStore store, ImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tarPath);
        ArgumentNullException.ThrowIfNull(store);
        options ??= ImportOptions.Default;
        if (!File.Exists(tarPath))
        {
            throw new ImageException($"tarball '{tarPath}' does not exist");
        }

        var tree = new FsTree();
        var report = new ImportReport(options.MaxWarnings);
        var applier = new TarApplier(tree, store, report, options);
        var name = Path.GetFileName(tarPath);
        Guard(name, () =>
        {
            using var file = new FileStream(tarPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var data = ArchiveCompression.OpenDecompressed(file, name);
            using var reader = new TarReader(data);
            applier.Apply(reader, name, whiteouts: false);
        });
        report.CountFrom(tree);
        return new ImportResult(tree, report);
    }

    /// <summary>Turns the exceptions a corrupt or truncated archive raises into an <see cref="ImageException"/>.</summary>
    internal static void Guard(string archive, Action action)
    {
        try
        {
            action();
        }
        catch (InvalidDataException e)
        {
            throw Corrupt(archive, e);
        }
        catch (EndOfStreamException e)
        {
            throw Corrupt(archive, e);
        }
        catch (FormatException e)
        {
            throw Corrupt(archive, e);
        }
        catch (ArgumentException e)
        {
            throw Corrupt(archive, e);
        }
        catch (OverflowException e)
        {
            throw Corrupt(archive, e);
        }
        catch (InvalidOperationException e) when (e.Source == "System.Formats.Tar")
        {
            // TarReader's own check of a PAX extended-attributes size (found by the fuzz loop).
            throw Corrupt(archive, e);
        }
        catch (NotSupportedException e) when (e.Source == "System.Formats.Tar")
        {
            // An entry type TarReader refuses, e.g. a GNU sparse file (found by the fuzz loop).
            throw Corrupt(archive, e);
        }
        catch (IOException e)
        {
            throw new ImageException($"cannot read {archive}: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ImageException($"cannot read {archive}: {e.Message}", e);
        }
    }

    private static ImageException Corrupt(string archive, Exception e) =>
        new($"{archive} is not a valid tar archive, or is truncated or corrupt: {e.Message}", e);
}
