using System.Formats.Tar;

namespace Sandbox86.Client;

/// <summary>
/// Unpacks a tar stream made by the guest onto the host. The guest is hostile: every entry must stay inside
/// the destination, only directories, regular files and symbolic links are made (never devices, fifos or
/// hard links), and links are made last and only when their target stays inside, so no file is ever
/// written through a link the archive itself created.
/// </summary>
internal static class GuestTarExtractor
{
    public static async Task ExtractAsync(Stream archive, string destination, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(destination).TrimEnd('/') + "/";
        var links = new List<(string Path, string Target)>();
        var directories = new List<(string Path, UnixFileMode Mode)>();
        await using var reader = new TarReader(archive, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            var path = Inside(root, entry.Name);
            if (path is null)
            {
                throw new IOException($"the sandbox's archive has an entry outside the destination: {entry.Name}");
            }

            var mode = (UnixFileMode)((int)entry.Mode & 0x1FF);
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    Directory.CreateDirectory(path);
                    directories.Add((path, mode));
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    if (Directory.Exists(path) || new FileInfo(path).LinkTarget is not null)
                    {
                        throw new IOException($"the sandbox's archive overwrites a directory or link: {entry.Name}");
                    }

                    var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, useAsync: true);
                    await using (file.ConfigureAwait(false))
                    {
                        if (entry.DataStream is { } data)
                        {
                            await data.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                        }
                    }

                    File.SetUnixFileMode(path, mode);
                    break;
                case TarEntryType.SymbolicLink:
                    var target = entry.LinkName;
                    var resolved = target.StartsWith('/') ? null : Inside(root, Path.GetRelativePath(root, Path.Combine(Path.GetDirectoryName(path)!, target)));
                    if (resolved is null)
                    {
                        throw new IOException($"the sandbox's archive has a link pointing outside the destination: {entry.Name} -> {target}");
                    }

                    links.Add((path, target));
                    break;
                default:
                    // Devices, fifos, hard links: nothing a copy of files needs, and each could be abused.
                    break;
            }
        }

        foreach (var (path, target) in links)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            if (!File.Exists(path) && !Directory.Exists(path) && new FileInfo(path).LinkTarget is null)
            {
                File.CreateSymbolicLink(path, target);
            }
        }

        // Modes last, deepest first: a read-only directory must not stop its own files being written.
        foreach (var (path, mode) in directories.OrderByDescending(d => d.Path.Length))
        {
            File.SetUnixFileMode(path, mode | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.UserRead);
        }
    }

    /// <summary>The full path of an archive name under <paramref name="root"/>, or null when it leaves it.</summary>
    internal static string? Inside(string root, string name)
    {
        if (name.StartsWith('/') || name.Contains('\0', StringComparison.Ordinal))
        {
            return null;
        }

        var full = Path.GetFullPath(Path.Combine(root, name));
        return full == root.TrimEnd('/') || full.StartsWith(root, StringComparison.Ordinal) ? full : null;
    }
}
