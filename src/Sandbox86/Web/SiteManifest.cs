using System.Text.Json.Serialization;

namespace Sandbox86.Web;

/// <summary>
/// <c>site.json</c>, read by the page script (web/sandbox86.js): every path in it is relative to the page,
/// so the site works from any sub-path.
/// </summary>
internal sealed record SiteManifest
{
    [JsonPropertyName("title")] public required string Title { get; init; }
    [JsonPropertyName("image")] public required string Image { get; init; }
    [JsonPropertyName("buildId")] public required string BuildId { get; init; }
    [JsonPropertyName("memoryMb")] public required int MemoryMb { get; init; }
    [JsonPropertyName("bios")] public required string Bios { get; init; }
    [JsonPropertyName("vgaBios")] public required string VgaBios { get; init; }
    [JsonPropertyName("fsIndex")] public required string FsIndex { get; init; }
    [JsonPropertyName("chunks")] public required string Chunks { get; init; }
    [JsonPropertyName("relayUrl")] public string? RelayUrl { get; init; }
    [JsonPropertyName("state")] public required SiteState State { get; init; }
}

/// <summary>The zstd VM state as the parts the page fetches in parallel and concatenates.</summary>
internal sealed record SiteState
{
    [JsonPropertyName("bytes")] public required long Bytes { get; init; }
    [JsonPropertyName("sha256")] public required string Sha256 { get; init; }
    [JsonPropertyName("parts")] public required IReadOnlyList<SiteStatePart> Parts { get; init; }
}

/// <summary>One part of the state.</summary>
internal sealed record SiteStatePart(
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("bytes")] long Bytes);

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(SiteManifest))]
internal sealed partial class SiteJsonContext : JsonSerializerContext;
