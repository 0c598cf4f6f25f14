using System.Text.Json.Serialization;

namespace Sandbox86.Server.ControlPlane;

/// <summary>Body of <c>POST /sandboxes</c> as the E2B SDKs send it.</summary>
internal sealed record NewSandboxBody
{
    [JsonPropertyName("templateID")] public string? TemplateId { get; init; }
    [JsonPropertyName("timeout")] public int? Timeout { get; init; }
    [JsonPropertyName("metadata")] public Dictionary<string, string>? Metadata { get; init; }
    [JsonPropertyName("envVars")] public Dictionary<string, string>? EnvVars { get; init; }
    [JsonPropertyName("secure")] public bool? Secure { get; init; }
    [JsonPropertyName("autoPause")] public bool? AutoPause { get; init; }
    [JsonPropertyName("allow_internet_access")] public bool? AllowInternetAccess { get; init; }
    [JsonPropertyName("network")] public SandboxNetworkBody? Network { get; init; }

    /// <summary>Guest RAM in MB (our verbs and client send it; E2B's SDKs never do): the image's own size when absent.</summary>
    [JsonPropertyName("memoryMB")] public int? MemoryMb { get; init; }
    [JsonPropertyName("volumeMounts")] public List<VolumeMountBody>? VolumeMounts { get; init; }
    [JsonPropertyName("hostMounts")] public List<HostMountBody>? HostMounts { get; init; }
}

/// <summary>E2B's <c>SandboxNetworkConfig</c>: the egress rules we honour (the proxy fields have no meaning here).</summary>
internal sealed record SandboxNetworkBody
{
    /// <summary>CIDRs, addresses or domains the guest may reach (over the default deny of local ranges).</summary>
    [JsonPropertyName("allowOut")] public List<string>? AllowOut { get; init; }

    /// <summary>CIDRs or addresses the guest may not reach.</summary>
    [JsonPropertyName("denyOut")] public List<string>? DenyOut { get; init; }
}

/// <summary>Body of set-timeout and connect: <c>{timeout}</c> in seconds.</summary>
internal sealed record TimeoutBody
{
    [JsonPropertyName("timeout")] public int? Timeout { get; init; }
}

/// <summary>E2B's <c>Sandbox</c> (create and connect answers).</summary>
internal sealed record SandboxBody(
    [property: JsonPropertyName("templateID")] string TemplateId,
    [property: JsonPropertyName("sandboxID")] string SandboxId,
    [property: JsonPropertyName("clientID")] string ClientId,
    [property: JsonPropertyName("envdVersion")] string EnvdVersion,
    [property: JsonPropertyName("envdAccessToken")] string? EnvdAccessToken,
    [property: JsonPropertyName("domain")] string? Domain);

/// <summary>E2B's <c>SandboxDetail</c> / <c>ListedSandbox</c> (get and list answers).</summary>
internal sealed record SandboxDetailBody(
    [property: JsonPropertyName("templateID")] string TemplateId,
    [property: JsonPropertyName("alias")] string? Alias,
    [property: JsonPropertyName("sandboxID")] string SandboxId,
    [property: JsonPropertyName("clientID")] string ClientId,
    [property: JsonPropertyName("startedAt")] DateTimeOffset StartedAt,
    [property: JsonPropertyName("endAt")] DateTimeOffset EndAt,
    [property: JsonPropertyName("cpuCount")] int CpuCount,
    [property: JsonPropertyName("memoryMB")] int MemoryMb,
    [property: JsonPropertyName("diskSizeMB")] int DiskSizeMb,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("envdVersion")] string EnvdVersion,
    [property: JsonPropertyName("envdAccessToken")] string? EnvdAccessToken,
    [property: JsonPropertyName("metadata")] Dictionary<string, string> Metadata);

/// <summary>One entry of <c>GET /sandboxes/{id}/metrics</c>.</summary>
internal sealed record SandboxMetricBody(
    [property: JsonPropertyName("timestamp")] DateTimeOffset Timestamp,
    [property: JsonPropertyName("timestampUnix")] long TimestampUnix,
    [property: JsonPropertyName("cpuCount")] int CpuCount,
    [property: JsonPropertyName("cpuUsedPct")] double CpuUsedPct,
    [property: JsonPropertyName("memUsed")] long MemUsed,
    [property: JsonPropertyName("memTotal")] long MemTotal,
    [property: JsonPropertyName("memCache")] long MemCache,
    [property: JsonPropertyName("diskUsed")] long DiskUsed,
    [property: JsonPropertyName("diskTotal")] long DiskTotal);

/// <summary>Answer of <c>GET /sandboxes/metrics?sandbox_ids=</c>: the latest metric of each running sandbox asked for.</summary>
internal sealed record SandboxesWithMetricsBody(
    [property: JsonPropertyName("sandboxes")] Dictionary<string, SandboxMetricBody> Sandboxes);
