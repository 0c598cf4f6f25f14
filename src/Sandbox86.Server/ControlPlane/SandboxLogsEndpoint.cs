using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sandbox86.Server.Sandboxes;

namespace Sandbox86.Server.ControlPlane;

/// <summary>
/// <c>GET /sandboxes/{id}/logs</c> in E2B's <c>SandboxLogs</c> shape (<c>logs: [{timestamp, line}]</c> and
/// <c>logEntries</c>): the guest's serial console, as far as the worker keeps its tail. The console has no
/// per-line times, so every line carries the time of the request; a paused sandbox has no console.
/// </summary>
internal static class SandboxLogsEndpoint
{
    /// <summary>Most lines returned (E2B's own default limit is 1000).</summary>
    private const int MaxLines = 1000;

    public static IEndpointRouteBuilder MapSandboxLogs(this IEndpointRouteBuilder app)
    {
        app.MapGet("/sandboxes/{id}/logs", (string id, SandboxRegistry registry) =>
        {
            var entry = registry.Get(id);
            var tail = entry.MachineOrNull?.SerialConsoleTail ?? "";
            var now = DateTimeOffset.UtcNow;
            var lines = tail.Replace("\r", "", StringComparison.Ordinal).Split('\n');
            var kept = lines.Length > 0 && lines[^1].Length == 0 ? lines[..^1] : lines;
            var logs = kept.TakeLast(MaxLines).Select(l => new SandboxLogBody(now, l)).ToList();
            var entries = logs.Select(l => new SandboxLogEntryBody(now, l.Line, "info", [])).ToList();
            return TypedResults.Json(new SandboxLogsBody(logs, entries));
        });
        return app;
    }
}

/// <summary>E2B's <c>SandboxLogs</c>.</summary>
internal sealed record SandboxLogsBody(
    [property: JsonPropertyName("logs")] List<SandboxLogBody> Logs,
    [property: JsonPropertyName("logEntries")] List<SandboxLogEntryBody> LogEntries);

/// <summary>E2B's <c>SandboxLog</c>.</summary>
internal sealed record SandboxLogBody(
    [property: JsonPropertyName("timestamp")] DateTimeOffset Timestamp,
    [property: JsonPropertyName("line")] string Line);

/// <summary>E2B's <c>SandboxLogEntry</c>.</summary>
internal sealed record SandboxLogEntryBody(
    [property: JsonPropertyName("timestamp")] DateTimeOffset Timestamp,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("level")] string Level,
    [property: JsonPropertyName("fields")] Dictionary<string, string> Fields);
