using System.Text.Json;

namespace Sandbox86.Images.Fs;

/// <summary>
/// Reads a v86 filesystem index (version 3) back into an <see cref="FsTree"/>. The index may come
/// from elsewhere (an env86 image, a downloaded image), so every field is checked: bad input raises
/// <see cref="ImageException"/>, never another exception, and nesting is bounded.
/// </summary>
internal static class FsIndexReader
{
    /// <summary>Deepest directory nesting accepted (each level costs two JSON levels).</summary>
    public const int MaxDirectoryDepth = 200;

    /// <summary>Largest index accepted; a Debian rootfs index is a few MB.</summary>
    public const long MaxIndexBytes = 512L * 1024 * 1024;

    /// <summary>Parses an index (plain JSON, or a zstd-compressed one as some images ship it).</summary>
    public static FsTree Read(Stream input)
    {
        ArgumentNullException.ThrowIfNull(input);
        byte[] data;
        try
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[1 << 16];
            int n;
            while ((n = input.Read(chunk, 0, chunk.Length)) > 0)
            {
                if (buffer.Length + n > MaxIndexBytes)
                {
                    throw new ImageException($"filesystem index is larger than {MaxIndexBytes} bytes");
                }

                buffer.Write(chunk, 0, n);
            }

            data = buffer.ToArray();
            if (Zstd.IsZstdFrame(data))
            {
                data = Zstd.Decompress(data, MaxIndexBytes);
            }
        }
        catch (InvalidDataException e)
        {
            throw new ImageException("filesystem index is not valid zstd: " + e.Message, e);
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(data, new JsonDocumentOptions { MaxDepth = (MaxDirectoryDepth * 2) + 4 });
        }
        catch (JsonException e)
        {
            throw new ImageException("filesystem index is not valid JSON: " + e.Message, e);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ImageException("filesystem index must be a JSON object");
            }

            if (!root.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Number
                || !version.TryGetInt32(out var v) || v != FsIndexWriter.Version)
            {
                throw new ImageException($"filesystem index is not version {FsIndexWriter.Version} (v86 reads only that version)");
            }

            if (!root.TryGetProperty("fsroot", out var fsroot) || fsroot.ValueKind != JsonValueKind.Array)
            {
                throw new ImageException("filesystem index has no \"fsroot\" array");
            }

            var tree = new FsTree();
            try
            {
                ReadChildren(fsroot, tree.Root, "", 0);
            }
            catch (InvalidOperationException e)
            {
                // JsonElement.GetString throws this for strings that are not valid UTF-8.
                throw new ImageException("filesystem index has a string that is not valid UTF-8", e);
            }

            return tree;
        }
    }

    /// <summary>Reads an index file.</summary>
    public static FsTree ReadFile(string path)
    {
        try
        {
            using var input = File.OpenRead(path);
            return Read(input);
        }
        catch (IOException e)
        {
            throw new ImageException($"cannot read filesystem index '{path}': {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ImageException($"cannot read filesystem index '{path}': {e.Message}", e);
        }
    }

    private static void ReadChildren(JsonElement children, FsNode dir, string dirPath, int depth)
    {
        if (depth > MaxDirectoryDepth)
        {
            throw new ImageException($"filesystem index nests directories deeper than {MaxDirectoryDepth} at '{dirPath}'");
        }

        foreach (var item in children.EnumerateArray())
        {
            var node = ReadNode(item, dirPath, depth);
            if (node is null)
            {
                continue;
            }

            if (dir.GetChild(node.Name) is not null)
            {
                throw new ImageException($"filesystem index lists '{dirPath}/{node.Name}' twice");
            }

            dir.SetChild(node);
        }
    }

    private static FsNode? ReadNode(JsonElement item, string dirPath, int depth)
    {
        if (item.ValueKind != JsonValueKind.Array || item.GetArrayLength() < 6)
        {
            throw new ImageException($"filesystem index has a malformed node under '{dirPath}/'");
        }

        var nameElement = item[0];
        var name = nameElement.ValueKind == JsonValueKind.String ? nameElement.GetString() : null;
        if (string.IsNullOrEmpty(name) || name is "." or ".." || name.Contains('/', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal))
        {
            throw new ImageException($"filesystem index has an invalid name under '{dirPath}/'");
        }

        var path = dirPath + "/" + name;
        var size = Integer(item[1], path, "size");
        var mtime = Integer(item[2], path, "mtime");
        var mode = Integer(item[3], path, "mode");
        var uid = Integer(item[4], path, "uid");
        var gid = Integer(item[5], path, "gid");
        if (size < 0 || mode < 0 || mode > 0xFFFF || uid < 0 || uid > uint.MaxValue || gid < 0 || gid > uint.MaxValue)
        {
            throw new ImageException($"filesystem index has out-of-range metadata for '{path}'");
        }

        JsonElement? target = item.GetArrayLength() > 6 ? item[6] : null;
        var perm = (uint)mode & FsMode.PermissionMask;
        FsNode node;
        switch ((uint)mode & FsMode.TypeMask)
        {
            case FsMode.Directory:
                node = new FsNode(name, FsNodeKind.Directory, perm);
                if (target is { } list)
                {
                    if (list.ValueKind != JsonValueKind.Array)
                    {
                        throw new ImageException($"filesystem index: directory '{path}' has no child list");
                    }

                    ReadChildren(list, node, path, depth + 1);
                }

                break;
            case FsMode.Regular:
                var chunk = String(target, path, "chunk name");
                if (chunk.Contains('/', StringComparison.Ordinal) || chunk.Contains('\\', StringComparison.Ordinal) || chunk is "." or "..")
                {
                    throw new ImageException($"filesystem index: file '{path}' has an unsafe chunk name '{chunk}'");
                }

                node = new FsNode(name, FsNodeKind.File, perm) { ChunkName = chunk };
                break;
            case FsMode.Symlink:
                node = new FsNode(name, FsNodeKind.Symlink, perm) { LinkTarget = String(target, path, "link target") };
                break;
            default:
                // v86 itself skips sockets and other types it cannot represent.
                return null;
        }

        node.Size = size;
        node.MtimeSeconds = mtime;
        node.Uid = (int)(uint)uid;
        node.Gid = (int)(uint)gid;
        return node;
    }

    private static long Integer(JsonElement element, string path, string field)
    {
        if (element.ValueKind == JsonValueKind.Number)
        {
            if (element.TryGetInt64(out var value))
            {
                return value;
            }

            // fs2json writes int(st_mtime); tolerate a float that has an integral value anyway.
            if (element.TryGetDouble(out var d) && d == Math.Floor(d) && Math.Abs(d) < 9e15)
            {
                return (long)d;
            }
        }

        throw new ImageException($"filesystem index: '{field}' of '{path}' is not an integer");
    }

    private static string String(JsonElement? element, string path, string field)
    {
        if (element is { ValueKind: JsonValueKind.String } e)
        {
            return e.GetString() ?? string.Empty;
        }

        throw new ImageException($"filesystem index: '{path}' has no {field}");
    }
}
