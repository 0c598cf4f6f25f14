using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sandbox86.Server.ControlPlane.Metrics;
using Sandbox86.Server.Sandboxes;

namespace Sandbox86.Server.ControlPlane;

/// <summary>E2B's REST control plane: the paths and bodies the pinned SDK sends (<c>/sandboxes</c>, <c>/v2/sandboxes</c>).</summary>
internal static class ControlPlaneEndpoints
{
    /// <summary>The envd version we claim; the SDK gates features on it (octet-stream upload needs 0.5.7).</summary>
    public const string EnvdVersion = "0.5.7";

    public const string ClientId = "sandbox86";

    private const int MaxTimeoutSeconds = 24 * 3600;

    public static IEndpointRouteBuilder MapControlPlane(this IEndpointRouteBuilder app, ServerOptions options)
    {
        // SDK 2.x creates and connects under /v2; the older /sandboxes paths stay for older SDKs.
        foreach (var prefix in new[] { "", "/v2" })
        {
            MapCreateAndConnect(app, prefix, options);
        }

        app.MapGet("/sandboxes/{id}", (string id, SandboxRegistry registry) => TypedResults.Json(ToDetail(registry.Get(id))))
            .Api("getSandbox", "Get a sandbox").Produces<SandboxDetailBody>().Errors(401, 404);
        app.MapGet("/sandboxes", (SandboxRegistry registry) =>
                TypedResults.Json(registry.List().Where(e => e.Record.State != SandboxState.Paused).Select(ToDetail).ToList()))
            .Api("listSandboxes", "List running sandboxes (v1)").Produces<List<SandboxDetailBody>>().Errors(401);
        app.MapGet("/v2/sandboxes", (HttpContext context, SandboxRegistry registry) => ListV2(context, registry))
            .Api("listSandboxesV2", "List sandboxes, filtered by metadata (k=v&k2=v2) and state (running,paused), paged by limit and nextToken (x-next-token header)")
            .Produces<List<SandboxDetailBody>>().Errors(400, 401);
        app.MapDelete("/sandboxes/{id}", async (string id, SandboxRegistry registry) =>
            {
                await registry.KillAsync(id);
                return TypedResults.NoContent();
            })
            .Api("killSandbox", "Kill a sandbox (running or paused)").Produces(204).Errors(401, 404);
        app.MapPost("/sandboxes/{id}/timeout", async (string id, HttpRequest request, SandboxRegistry registry, CancellationToken ct) =>
            {
                var body = await RequestBody.ReadAsync(request, options.MaxRequestBytes, new TimeoutBody(), ct);
                registry.SetTimeout(id, TimeoutOf(body.Timeout ?? throw new SandboxException(400, "timeout is required"), 300));
                return TypedResults.NoContent();
            })
            .Api("setSandboxTimeout", "Set the sandbox to end timeout seconds from now").Accepts<TimeoutBody>("application/json")
            .Produces(204).Errors(400, 401, 404, 413);
        app.MapPost("/sandboxes/{id}/resume", async (string id, HttpRequest request, SandboxRegistry registry, CancellationToken ct) =>
            {
                var body = await RequestBody.ReadAsync(request, options.MaxRequestBytes, new TimeoutBody(), ct);
                if (registry.Get(id).Record.State != SandboxState.Paused)
                {
                    throw new SandboxException(409, $"sandbox \"{id}\" is not paused");
                }

                await registry.ConnectAsync(id, TimeoutOf(body.Timeout, 300), ct);
                return TypedResults.Json(ToSandbox(registry.Get(id)), statusCode: 201);
            })
            .Api("resumeSandbox", "Resume a paused sandbox (deprecated by E2B in favour of connect)").Accepts<TimeoutBody>("application/json")
            .Produces<SandboxBody>(201).Errors(400, 401, 404, 409, 413, 429);
        app.MapPost("/sandboxes/{id}/pause", async (string id, SandboxRegistry registry, CancellationToken ct) =>
            {
                await registry.PauseAsync(id, ct);
                return TypedResults.NoContent();
            })
            .Api("pauseSandbox", "Pause a running sandbox: its VM state is saved to disk and its worker ends")
            .Produces(204).Errors(401, 404, 409);
        app.MapGet("/sandboxes/{id}/metrics", async (string id, SandboxRegistry registry, CancellationToken ct) =>
            {
                var metric = await SandboxMetrics.SampleAsync(registry.Get(id), ct);
                return TypedResults.Json(metric is null ? new List<SandboxMetricBody>() : [metric]);
            })
            .Api("getSandboxMetrics", "The sandbox's current CPU (worker process) and memory (guest /proc/meminfo); empty while paused")
            .Produces<List<SandboxMetricBody>>().Errors(401, 404);
        app.MapGet("/sandboxes/metrics", async (HttpContext context, SandboxRegistry registry, CancellationToken ct) =>
            {
                var ids = context.Request.Query["sandbox_ids"].SelectMany(s => (s ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)).Distinct().ToList();
                if (ids.Count is 0 or > 100)
                {
                    throw new SandboxException(400, "sandbox_ids must name 1 to 100 sandboxes");
                }

                var result = new Dictionary<string, SandboxMetricBody>(StringComparer.Ordinal);
                foreach (var id in ids)
                {
                    // Unknown and paused ids are left out, as E2B lists only running sandboxes here.
                    if (registry.List().FirstOrDefault(e => e.SandboxId == id) is { } entry && await SandboxMetrics.SampleAsync(entry, ct) is { } metric)
                    {
                        result[id] = metric;
                    }
                }

                return TypedResults.Json(new SandboxesWithMetricsBody(result));
            })
            .Api("getSandboxesMetrics", "The current metric of each running sandbox named in sandbox_ids (comma-separated)")
            .Produces<SandboxesWithMetricsBody>().Errors(400, 401);
        return app;
    }

    private static void MapCreateAndConnect(IEndpointRouteBuilder app, string prefix, ServerOptions options)
    {
        var name = prefix.Length == 0 ? "" : "V2";
        app.MapPost(prefix + "/sandboxes", async (HttpRequest request, SandboxRegistry registry, CancellationToken ct) =>
            {
                var body = await RequestBody.ReadAsync(request, options.MaxRequestBytes, new NewSandboxBody(), ct);
                var entry = await registry.CreateAsync(ToSpec(body), ct);
                return TypedResults.Json(ToSandbox(entry), statusCode: 201);
            })
            .Api("createSandbox" + name, "Create a sandbox from a template (an image name; base is the agent image, else default)")
            .Accepts<NewSandboxBody>("application/json").Produces<SandboxBody>(201).Errors(400, 401, 404, 413, 429);
        app.MapPost(prefix + "/sandboxes/{id}/connect", async (string id, HttpRequest request, SandboxRegistry registry, CancellationToken ct) =>
            {
                var body = await RequestBody.ReadAsync(request, options.MaxRequestBytes, new TimeoutBody(), ct);
                var resumed = await registry.ConnectAsync(id, TimeoutOf(body.Timeout, 300), ct);
                return TypedResults.Json(ToSandbox(registry.Get(id)), statusCode: resumed ? 201 : 200);
            })
            .Api("connectSandbox" + name, "Connect to a sandbox: extends a running one (200) or resumes a paused one (201)")
            .Accepts<TimeoutBody>("application/json").Produces<SandboxBody>(200).Produces<SandboxBody>(201).Errors(400, 401, 404, 409, 413, 429);
    }

    /// <summary>Validates a create body at the edge: limits, rule syntax and the network settings we can honour.</summary>
    internal static CreateSandboxSpec ToSpec(NewSandboxBody body)
    {
        var allowOut = body.Network?.AllowOut ?? [];
        var denyOut = body.Network?.DenyOut ?? [];
        if (body.AllowInternetAccess == false && allowOut.Count > 0)
        {
            // E2B lets allowOut punch through "no internet"; our policy checks deny rules first, so say so instead.
            throw new SandboxException(400, "network.allowOut with allow_internet_access=false is not supported: leave internet access on and list denyOut instead");
        }

        foreach (var rule in allowOut.Concat(denyOut))
        {
            if (string.IsNullOrWhiteSpace(rule) || rule.Length > 253 || rule.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            {
                throw new SandboxException(400, $"invalid network rule \"{rule}\"");
            }
        }

        return new CreateSandboxSpec
        {
            TemplateId = string.IsNullOrEmpty(body.TemplateId) ? "base" : body.TemplateId,
            Timeout = TimeoutOf(body.Timeout, 300),
            Metadata = body.Metadata ?? [],
            EnvVars = body.EnvVars ?? [],
            Secure = body.Secure ?? false,
            AutoPause = body.AutoPause ?? false,
            // E2B's default: internet access allowed.
            AllowInternetAccess = body.AllowInternetAccess ?? true,
            AllowOut = allowOut,
            DenyOut = denyOut,
            MemoryMb = body.MemoryMb,
            Mounts = MountBodies.ToRequested(body),
        };
    }

    private static Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<List<SandboxDetailBody>> ListV2(HttpContext context, SandboxRegistry registry)
    {
        var query = context.Request.Query;
        var states = query["state"].SelectMany(s => (s ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var filter = ParseMetadataFilter(query["metadata"].ToString());
        var limit = 100;
        if (query.TryGetValue("limit", out var limitText) && (!int.TryParse(limitText, out limit) || limit is < 1 or > 1000))
        {
            throw new SandboxException(400, "limit must be between 1 and 1000");
        }

        var all = registry.List()
            .Where(e => states.Count == 0 || states.Contains(StateName(e.Record.State)))
            .Where(e => filter.All(kv => e.Record.Metadata.TryGetValue(kv.Key, out var v) && v == kv.Value))
            .ToList();
        var start = 0;
        var token = query["nextToken"].ToString();
        if (token.Length > 0)
        {
            start = all.FindIndex(e => e.SandboxId == token);
            if (start < 0)
            {
                throw new SandboxException(400, "invalid nextToken");
            }
        }

        var page = all.Skip(start).Take(limit).ToList();
        if (start + limit < all.Count)
        {
            context.Response.Headers["x-next-token"] = all[start + limit].SandboxId;
        }

        return TypedResults.Json(page.Select(ToDetail).ToList());
    }

    /// <summary>The SDK sends metadata filters as one URL-encoded <c>k1=v1&amp;k2=v2</c> string.</summary>
    internal static Dictionary<string, string> ParseMetadataFilter(string text)
    {
        var filter = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in text.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0)
            {
                throw new SandboxException(400, $"invalid metadata filter \"{pair}\"");
            }

            filter[Uri.UnescapeDataString(pair[..eq])] = Uri.UnescapeDataString(pair[(eq + 1)..]);
        }

        return filter;
    }

    private static TimeSpan TimeoutOf(int? seconds, int fallback)
    {
        var value = seconds ?? fallback;
        if (value is < 1 or > MaxTimeoutSeconds)
        {
            throw new SandboxException(400, $"timeout must be between 1 and {MaxTimeoutSeconds} seconds");
        }

        return TimeSpan.FromSeconds(value);
    }

    private static string StateName(SandboxState state) => state == SandboxState.Paused ? "paused" : "running";

    private static SandboxBody ToSandbox(SandboxEntry entry) =>
        new(entry.Record.TemplateId, entry.SandboxId, ClientId, EnvdVersion, entry.EnvdAccessToken, null);

    private static SandboxDetailBody ToDetail(SandboxEntry entry)
    {
        var r = entry.Record;
        var endAt = r.State == SandboxState.Paused && r.RemainingSeconds is { } left ? DateTimeOffset.UtcNow.AddSeconds(left) : r.EndAt;
        return new(r.TemplateId, r.ImageName, r.SandboxId, ClientId, r.StartedAt, endAt, 1, r.MemoryMb, 0, StateName(r.State), EnvdVersion, r.EnvdAccessToken, r.Metadata);
    }
}
