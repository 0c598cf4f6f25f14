using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sandbox86.Client;

namespace Sandbox86.Cli.Commands.Sandboxes;

/// <summary>The <c>--json</c> shape of a sandbox for <c>ps</c> and <c>create</c>.</summary>
internal static class SandboxJson
{
    private static readonly JsonSerializerOptions Readable = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static JsonObject ToNode(SandboxInfo s)
    {
        var metadata = new JsonObject();
        foreach (var (k, v) in s.Metadata)
        {
            metadata[k] = v;
        }

        return new JsonObject
        {
            ["id"] = s.SandboxId,
            ["name"] = s.Name,
            ["image"] = s.TemplateId,
            ["state"] = s.State,
            ["startedAt"] = s.StartedAt?.ToString("O"),
            ["endAt"] = s.EndAt?.ToString("O"),
            ["memoryMB"] = s.MemoryMb,
            ["metadata"] = metadata,
        };
    }

    public static string Format(SandboxInfo s) => ToNode(s).ToJsonString(Readable);

    public static string Format(IEnumerable<SandboxInfo> all) => new JsonArray([.. all.Select(s => (JsonNode)ToNode(s))]).ToJsonString(Readable);
}
