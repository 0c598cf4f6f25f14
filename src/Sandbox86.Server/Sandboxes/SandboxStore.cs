using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sandbox86.Server.Sandboxes;

/// <summary>The registry on disk: <c>DATA/sandboxes/ID/record.json</c> (written atomically) and <c>snapshot/</c> when paused (one snapshot unit: state.zst + meta.json, published with one rename).</summary>
internal sealed class SandboxStore
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    public SandboxStore(string dataDirectory) => Root = Path.Combine(dataDirectory, "sandboxes");

    public string Root { get; }

    public string Directory(string id) => Path.Combine(Root, id);

    public string StatePath(string id) => Path.Combine(Directory(id), "snapshot");

    public void Save(SandboxRecord record)
    {
        var dir = Directory(record.SandboxId);
        System.IO.Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "record.json");
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(record, Json));
        File.Move(temp, path, overwrite: true);
    }

    public void Delete(string id)
    {
        try
        {
            System.IO.Directory.Delete(Directory(id), recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>Records of paused sandboxes from an earlier run; anything else (crashed while running) is dropped.</summary>
    public IEnumerable<SandboxRecord> LoadPaused()
    {
        if (!System.IO.Directory.Exists(Root))
        {
            yield break;
        }

        foreach (var dir in System.IO.Directory.EnumerateDirectories(Root))
        {
            SandboxRecord? record = null;
            try
            {
                record = JsonSerializer.Deserialize<SandboxRecord>(File.ReadAllBytes(Path.Combine(dir, "record.json")), Json);
            }
            catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
            {
            }

            if (record is { State: SandboxState.Paused } && System.IO.Directory.Exists(StatePath(record.SandboxId)))
            {
                yield return record;
            }
            else
            {
                Delete(Path.GetFileName(dir));
            }
        }
    }
}
