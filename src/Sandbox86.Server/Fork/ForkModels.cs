using System.Text.Json.Serialization;
using Sandbox86.Server.ControlPlane;

namespace Sandbox86.Server.Fork;

/// <summary>E2B's <c>SandboxForkRequest</c>: <c>POST /sandboxes/{id}/fork {timeout, count}</c> (spec/openapi.yml).</summary>
internal sealed record SandboxForkRequest
{
    [JsonPropertyName("timeout")] public int? Timeout { get; init; }
    [JsonPropertyName("count")] public int? Count { get; init; }
}

/// <summary>E2B's <c>SandboxForkResult</c>: one per requested fork, exactly one of the two set.</summary>
internal sealed record SandboxForkResult(
    [property: JsonPropertyName("sandbox"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SandboxBody? Sandbox,
    [property: JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ApiError? Error);
