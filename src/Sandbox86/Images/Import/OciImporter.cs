using System.Formats.Tar;
using System.Text.Json;
using Sandbox86.Images.Fs;

namespace Sandbox86.Images.Import;

/// <summary>
/// Imports a container image: a <c>docker save</c> archive (manifest.json with Config and Layers) or
/// an OCI image layout (index.json, manifests and blobs), as a directory or a tar file (plain or
/// compressed). Layers are applied in order with OCI whiteouts: <c>.wh.NAME</c> deletes NAME and
/// <c>.wh..wh..opq</c> hides everything earlier layers put in that directory. When an index lists
/// several platforms, the linux/<see cref="ImportOptions.Architecture"/> one is taken.
/// Layer digests are not re-verified: the archive is trusted as far as its content goes, and every
/// path in it is still checked against escaping the image root.
/// </summary>
internal static class OciImporter
{
    private const int MaxJsonBytes = 16 * 1024 * 1024;
    private const int MaxIndexDepth = 4;

    /// <summary>Imports the image at <paramref name="path"/> (directory or archive file).</summary>
    public static ImportResult Import(string path, ChunkStore store, ImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(store);
        options ??= ImportOptions.Default;
        using IBlobSource source = Directory.Exists(path)
            ? new DirectoryBlobSource(path)
            : File.Exists(path)
                ? TarBlobSource.Open(path, store.Directory)
                : throw new ImageException($"image '{path}' does not exist");

        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(path));
        string? configPath;
        List<string> layers;
        OciImageConfig? config;
        try
        {
            (configPath, layers) = source.Exists("manifest.json")
                ? ReadDockerManifest(source, name)
                : source.Exists("index.json")
                    ? ReadOciIndex(source, name, options)
                    : throw new ImageException($"{name} is neither a docker-save archive (no manifest.json) nor an OCI image layout (no index.json)");
            config = configPath is null ? null : ReadConfig(source, configPath, name);
        }
        catch (InvalidOperationException e)
        {
            // JsonElement.GetString throws this for strings that are not valid UTF-8.
            throw new ImageException($"{name}: image metadata has a string that is not valid UTF-8", e);
        }

        if (options.Architecture is { } arch && config?.Architecture is { } actual && actual != arch)
        {
            throw new ImageException($"{name} is a {config.Os ?? "linux"}/{actual} image: sandbox86 needs {config.Os ?? "linux"}/{arch}");
        }

        var tree = new FsTree();
        var report = new ImportReport(options.MaxWarnings) { Config = config };
        var applier = new TarApplier(tree, store, report, options);
        for (var i = 0; i < layers.Count; i++)
        {
            var label = $"{name} layer {i + 1}/{layers.Count}";
            TarImporter.Guard(label, () =>
            {
                using var data = ArchiveCompression.OpenDecompressed(source.Open(layers[i]), label);
                using var reader = new TarReader(data);
                applier.Apply(reader, label, whiteouts: true);
            });
        }

        report.CountFrom(tree);
        return new ImportResult(tree, report);
    }

    private static (string? Config, List<string> Layers) ReadDockerManifest(IBlobSource source, string name)
    {
        using var doc = ReadJson(source, "manifest.json", name);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() == 0 || root[0].ValueKind != JsonValueKind.Object)
        {
            throw new ImageException($"{name}: manifest.json does not list any image");
        }

        var image = root[0];
        var layers = StringArray(image, "Layers");
        if (layers.Count == 0)
        {
            throw new ImageException($"{name}: manifest.json lists no layers");
        }

        return (OptionalString(image, "Config"), layers);
    }

    private static (string? Config, List<string> Layers) ReadOciIndex(IBlobSource source, string name, ImportOptions options)
    {
        var candidates = new List<(JsonElement Descriptor, string Platform)>();
        var docs = new List<JsonDocument>();
        try
        {
            CollectManifests(source, "index.json", name, candidates, docs, 0);
            if (candidates.Count == 0)
            {
                throw new ImageException($"{name}: index.json lists no image manifest");
            }

            var chosen = Choose(candidates, name, options);
            using var manifest = ReadJson(source, BlobPath(Digest(chosen), name), name);
            var root = manifest.RootElement;
            string? config = null;
            if (root.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object)
            {
                config = BlobPath(Digest(c), name);
            }

            if (!root.TryGetProperty("layers", out var layerList) || layerList.ValueKind != JsonValueKind.Array)
            {
                throw new ImageException($"{name}: image manifest has no layers");
            }

            var layers = layerList.EnumerateArray().Select(l => BlobPath(Digest(l), name)).ToList();
            return (config, layers);
        }
        finally
        {
            foreach (var doc in docs)
            {
                doc.Dispose();
            }
        }
    }

    private static void CollectManifests(
        IBlobSource source, string path, string name, List<(JsonElement, string)> candidates, List<JsonDocument> docs, int depth)
    {
        if (depth > MaxIndexDepth)
        {
            throw new ImageException($"{name}: image indexes nest too deeply");
        }

        var doc = ReadJson(source, path, name);
        docs.Add(doc);
        if (!doc.RootElement.TryGetProperty("manifests", out var manifests) || manifests.ValueKind != JsonValueKind.Array)
        {
            throw new ImageException($"{name}: {path} has no \"manifests\" list");
        }

        foreach (var descriptor in manifests.EnumerateArray())
        {
            if (descriptor.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var mediaType = OptionalString(descriptor, "mediaType") ?? string.Empty;
            if (mediaType.Contains("index", StringComparison.Ordinal) || mediaType.Contains("manifest.list", StringComparison.Ordinal))
            {
                CollectManifests(source, BlobPath(Digest(descriptor), name), name, candidates, docs, depth + 1);
                continue;
            }

            if (IsAttestation(descriptor))
            {
                continue;
            }

            candidates.Add((descriptor, Platform(descriptor)));
        }
    }

    private static JsonElement Choose(List<(JsonElement Descriptor, string Platform)> candidates, string name, ImportOptions options)
    {
        if (options.Architecture is not { } arch || (candidates.Count == 1 && candidates[0].Platform.Length == 0))
        {
            // One manifest without platform data: the config's architecture is checked instead.
            return candidates[0].Descriptor;
        }

        var wanted = "linux/" + arch;
        foreach (var (descriptor, platform) in candidates)
        {
            if (platform == wanted || platform.StartsWith(wanted + "/", StringComparison.Ordinal))
            {
                return descriptor;
            }
        }

        var available = string.Join(", ", candidates.Select(c => c.Platform.Length == 0 ? "(unspecified)" : c.Platform).Distinct());
        throw new ImageException($"{name} has no {wanted} image; it has: {available}");
    }

    private static bool IsAttestation(JsonElement descriptor) =>
        descriptor.TryGetProperty("annotations", out var annotations)
        && annotations.ValueKind == JsonValueKind.Object
        && OptionalString(annotations, "vnd.docker.reference.type") == "attestation-manifest";

    private static string Platform(JsonElement descriptor)
    {
        if (!descriptor.TryGetProperty("platform", out var platform) || platform.ValueKind != JsonValueKind.Object)
        {
            return string.Empty;
        }

        var os = OptionalString(platform, "os") ?? "?";
        var arch = OptionalString(platform, "architecture") ?? "?";
        var variant = OptionalString(platform, "variant");
        return variant is null ? $"{os}/{arch}" : $"{os}/{arch}/{variant}";
    }

    private static OciImageConfig ReadConfig(IBlobSource source, string path, string name)
    {
        using var doc = ReadJson(source, path, name);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new ImageException($"{name}: image config {path} is not a JSON object");
        }

        var inner = root.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
        var hasInner = inner.ValueKind == JsonValueKind.Object;
        return new OciImageConfig
        {
            Architecture = OptionalString(root, "architecture"),
            Os = OptionalString(root, "os"),
            Env = hasInner ? StringArray(inner, "Env") : [],
            Cmd = hasInner ? StringArray(inner, "Cmd") : [],
            Entrypoint = hasInner ? StringArray(inner, "Entrypoint") : [],
            WorkingDir = hasInner ? NonEmpty(OptionalString(inner, "WorkingDir")) : null,
            User = hasInner ? NonEmpty(OptionalString(inner, "User")) : null,
        };
    }

    private static JsonDocument ReadJson(IBlobSource source, string path, string name)
    {
        using var stream = source.Open(path);
        if (stream.Length > MaxJsonBytes)
        {
            throw new ImageException($"{name}: {path} is too large for image metadata");
        }

        try
        {
            return JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new ImageException($"{name}: {path} is not valid JSON: {e.Message}", e);
        }
    }

    private static string Digest(JsonElement descriptor) =>
        OptionalString(descriptor, "digest") ?? throw new ImageException("image descriptor has no digest");

    private static string BlobPath(string digest, string name)
    {
        var colon = digest.IndexOf(':', StringComparison.Ordinal);
        var algorithm = colon > 0 ? digest[..colon] : string.Empty;
        var hex = colon > 0 ? digest[(colon + 1)..] : string.Empty;
        if (algorithm.Length == 0 || !algorithm.All(ch => char.IsAsciiLetterLower(ch) || char.IsAsciiDigit(ch))
            || hex.Length < 32 || !hex.All(char.IsAsciiHexDigitLower))
        {
            throw new ImageException($"{name}: malformed digest '{digest}'");
        }

        return $"blobs/{algorithm}/{hex}";
    }

    private static string? OptionalString(JsonElement obj, string property) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()
            : null;

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static List<string> StringArray(JsonElement obj, string property) =>
        obj.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.Array
            ? v.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList()
            : [];
}
