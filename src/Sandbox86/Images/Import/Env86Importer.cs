using System.Text.Json;
using Sandbox86.Images.Fs;

namespace Sandbox86.Images.Import;

/// <summary>
/// Imports an env86 image directory: <c>fs.json</c> (a v86 index), <c>fs/</c> (its chunks),
/// <c>image.json</c> (a v86 config: cmdline, bzimage, initrd…) and optionally <c>initial.state</c>
/// or <c>initial.state.zst</c>. Its index is reused; every chunk is read (decompressed if ".zst"),
/// checked against the index's size and re-added to our store, which re-derives the name from the content.
/// </summary>
internal static class Env86Importer
{
    /// <summary>Imports the env86 image in <paramref name="dir"/>.</summary>
    public static Env86ImportResult Import(string dir, ChunkStore store, ImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dir);
        ArgumentNullException.ThrowIfNull(store);
        options ??= ImportOptions.Default;
        if (!Directory.Exists(dir))
        {
            throw new ImageException($"env86 image directory '{dir}' does not exist");
        }

        var root = Path.GetFullPath(dir);
        var indexPath = Path.Combine(root, "fs.json");
        if (!File.Exists(indexPath))
        {
            throw new ImageException($"'{dir}' is not an env86 image: it has no fs.json");
        }

        var tree = FsIndexReader.ReadFile(indexPath);
        var report = new ImportReport(options.MaxWarnings);
        var exclude = new ExcludeFilter(options.Exclude);
        foreach (var path in tree.Walk().Select(e => e.Path).Where(exclude.IsExcluded).ToList())
        {
            tree.Remove(path);
        }

        var chunkDir = Path.Combine(root, "fs");
        var copied = new Dictionary<string, (string Name, long Size)>(StringComparer.Ordinal);
        foreach (var (path, node) in tree.Walk().Where(e => e.Node.Kind == FsNodeKind.File).ToList())
        {
            var source = node.ChunkName!;
            if (!copied.TryGetValue(source, out var chunk))
            {
                chunk = CopyChunk(chunkDir, source, path, store);
                copied[source] = chunk;
            }

            if (chunk.Size != node.Size)
            {
                report.Warn($"{path}: fs.json says {node.Size} bytes but chunk {source} holds {chunk.Size}; using the chunk's size");
                node.Size = chunk.Size;
            }

            node.ChunkName = chunk.Name;
        }

        report.CountFrom(tree);
        return new Env86ImportResult(tree, report, ReadInfo(root));
    }

    private static (string Name, long Size) CopyChunk(string chunkDir, string name, string imagePath, ChunkStore store)
    {
        var path = Path.Combine(chunkDir, name);
        if (!File.Exists(path))
        {
            throw new ImageException($"env86 image is missing chunk fs/{name} (for {imagePath})");
        }

        try
        {
            Stream content = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            if (name.EndsWith(".zst", StringComparison.Ordinal))
            {
                content = new ZstdDecompressStream(content);
            }

            using (content)
            {
                return store.Add(content);
            }
        }
        catch (InvalidDataException e)
        {
            throw new ImageException($"env86 chunk fs/{name} (for {imagePath}) is corrupt: {e.Message}", e);
        }
    }

    private static Env86ImageInfo ReadInfo(string root)
    {
        string? state = null;
        foreach (var candidate in new[] { "initial.state.zst", "initial.state" })
        {
            if (File.Exists(Path.Combine(root, candidate)))
            {
                state = Path.Combine(root, candidate);
                break;
            }
        }

        var configPath = Path.Combine(root, "image.json");
        if (!File.Exists(configPath))
        {
            return new Env86ImageInfo { InitialStatePath = state };
        }

        try
        {
            using var stream = File.OpenRead(configPath);
            using var doc = JsonDocument.Parse(stream);
            var config = doc.RootElement;
            if (config.ValueKind != JsonValueKind.Object)
            {
                throw new ImageException("env86 image.json is not a JSON object");
            }

            return new Env86ImageInfo
            {
                Cmdline = String(config, "cmdline"),
                KernelPath = LocalFile(root, config, "bzimage"),
                InitrdPath = LocalFile(root, config, "initrd"),
                KernelFromFilesystem = config.TryGetProperty("bzimage_initrd_from_filesystem", out var fromFs) && fromFs.ValueKind == JsonValueKind.True,
                MemorySize = config.TryGetProperty("memory_size", out var memory) && memory.TryGetInt64(out var bytes) ? bytes : null,
                InitialStatePath = state,
            };
        }
        catch (JsonException e)
        {
            throw new ImageException($"env86 image.json is not valid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new ImageException("env86 image.json has a string that is not valid UTF-8", e);
        }
    }

    private static string? String(JsonElement obj, string property) =>
        obj.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A v86 file option ({"url": …}) that names a file inside the image directory.</summary>
    private static string? LocalFile(string root, JsonElement config, string property)
    {
        if (!config.TryGetProperty(property, out var option) || option.ValueKind != JsonValueKind.Object
            || String(option, "url") is not { } url)
        {
            return null;
        }

        // env86 serves the image directory under /image/; accept that form and plain relative paths.
        var relative = url.StartsWith("/image/", StringComparison.Ordinal) ? url["/image/".Length..] : url;
        if (FsPath.Normalize(relative) is not { Count: > 0 } parts)
        {
            return null;
        }

        var path = Path.Combine([root, .. parts]);
        return File.Exists(path) ? path : null;
    }
}
