using System.Globalization;
using System.Text.Json;

namespace Sandbox86.Client;

/// <summary>Reading E2B's answers defensively: a missing or mistyped field is null, never an exception from deep inside.</summary>
internal static class ClientJson
{
    public static string? String(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static long? Number(JsonElement e, string name)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out var v))
        {
            return null;
        }

        // proto3 JSON writes int64 as strings.
        return v.ValueKind switch
        {
            JsonValueKind.Number when v.TryGetInt64(out var n) => n,
            JsonValueKind.String when long.TryParse(v.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) => n,
            _ => null,
        };
    }

    public static bool? Bool(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    public static JsonElement Child(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v : default;

    public static DateTimeOffset? Time(JsonElement e, string name) =>
        String(e, name) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    public static SandboxInfo Sandbox(JsonElement e)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Child(e, "metadata") is { ValueKind: JsonValueKind.Object } m)
        {
            foreach (var p in m.EnumerateObject())
            {
                if (p.Value.ValueKind == JsonValueKind.String)
                {
                    metadata[p.Name] = p.Value.GetString()!;
                }
            }
        }

        return new SandboxInfo
        {
            SandboxId = String(e, "sandboxID") ?? throw new SandboxApiException(502, null, "the server's answer has no sandboxID"),
            TemplateId = String(e, "templateID") ?? "",
            State = String(e, "state") ?? "",
            StartedAt = Time(e, "startedAt"),
            EndAt = Time(e, "endAt"),
            MemoryMb = Number(e, "memoryMB") is { } mb ? (int)mb : null,
            Metadata = metadata,
            EnvdAccessToken = String(e, "envdAccessToken"),
            EnvdVersion = String(e, "envdVersion"),
        };
    }

    public static SandboxFileInfo Entry(JsonElement e) => new()
    {
        Name = String(e, "name") ?? "",
        Path = String(e, "path") ?? "",
        IsDirectory = String(e, "type") == "FILE_TYPE_DIRECTORY",
        Size = Number(e, "size") ?? 0,
        Mode = Number(e, "mode") is { } mode ? (uint)mode : null,
        SymlinkTarget = String(e, "symlinkTarget"),
    };

    /// <summary>The error of a refused call: <c>{code, message}</c> when the body has it, else the status and the body's start.</summary>
    public static SandboxApiException Error(int status, string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var message = String(root, "message");
            var code = Child(root, "code") switch
            {
                { ValueKind: JsonValueKind.String } c => c.GetString(),
                { ValueKind: JsonValueKind.Number } c => c.GetRawText(),
                _ => null,
            };
            if (message is not null)
            {
                return new SandboxApiException(status, code, message);
            }
        }
        catch (JsonException)
        {
        }

        var text = body.Length > 200 ? body[..200] + "…" : body;
        return new SandboxApiException(status, null, text.Length > 0 ? $"HTTP {status}: {text}" : $"HTTP {status}");
    }

    /// <summary>Connect's error codes and the HTTP statuses the protocol maps them to.</summary>
    public static int ConnectStatus(string? code) => code switch
    {
        "invalid_argument" or "out_of_range" => 400,
        "unauthenticated" => 401,
        "permission_denied" => 403,
        "not_found" => 404,
        "already_exists" or "aborted" => 409,
        "failed_precondition" => 412,
        "resource_exhausted" => 429,
        "unimplemented" => 501,
        "unavailable" => 503,
        "deadline_exceeded" => 504,
        _ => 500,
    };
}
