using System.Text;
using System.Text.Json;
using Sandbox86.Images.Store;
using Sandbox86.ServerTests.Infrastructure;

namespace Sandbox86.ServerTests.ControlPlane;

/// <summary>The OpenAPI document and the memory-budget refusal (no VM is started).</summary>
public sealed class OpenApiAndLimitsTests
{
    [Fact]
    public async Task OpenApi_document_names_the_control_plane_paths_with_bodies_and_statuses()
    {
        await using var server = await TestServer.StartAsync();
        // Served without an API key (it describes the API, it is not part of it), like E2B's published spec.
        using var anonymous = new HttpClient { BaseAddress = new Uri(server.Url) };
        using var response = await anonymous.GetAsync("/openapi/v1.json");
        Assert.Equal(200, (int)response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var paths = doc.RootElement.GetProperty("paths");
        string[] expected =
        [
            "/sandboxes", "/v2/sandboxes", "/sandboxes/{id}", "/sandboxes/{id}/timeout", "/sandboxes/{id}/pause",
            "/sandboxes/{id}/resume", "/sandboxes/{id}/connect", "/v2/sandboxes/{id}/connect", "/sandboxes/{id}/metrics", "/sandboxes/metrics",
        ];
        foreach (var path in expected)
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} missing from /openapi/v1.json");
        }

        // envd (Connect-RPC behind E2b-Sandbox-Id) is not the control plane.
        Assert.DoesNotContain(paths.EnumerateObject(), p => p.Name.Contains("process.Process", StringComparison.Ordinal) || p.Name == "/files");
        var create = paths.GetProperty("/v2/sandboxes").GetProperty("post");
        Assert.Equal("createSandboxV2", create.GetProperty("operationId").GetString());
        var responses = create.GetProperty("responses");
        foreach (var status in new[] { "201", "400", "401", "404", "413", "429", "500" })
        {
            Assert.True(responses.TryGetProperty(status, out _), $"create lacks status {status}");
        }

        // The request body and the answers name their schemas, with E2B's field names.
        var schemas = doc.RootElement.GetProperty("components").GetProperty("schemas");
        Assert.True(create.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        Assert.True(schemas.GetProperty("NewSandboxBody").GetProperty("properties").TryGetProperty("templateID", out _));
        Assert.True(schemas.GetProperty("NewSandboxBody").GetProperty("properties").TryGetProperty("allow_internet_access", out _));
        Assert.True(schemas.GetProperty("SandboxMetricBody").GetProperty("properties").TryGetProperty("cpuUsedPct", out _));
        Assert.True(schemas.GetProperty("ApiError").GetProperty("properties").TryGetProperty("message", out _));
        Assert.False(paths.GetProperty("/sandboxes/{id}/pause").GetProperty("post").GetProperty("responses").TryGetProperty("200", out _));
    }

    [Fact]
    public async Task Over_the_memory_budget_is_429_before_any_VM_starts()
    {
        Assert.True(ImageStore.Default.Exists("default"), "the default image is not built: test.sh builds it with './sandbox86 image build'");
        await using var server = await TestServer.StartAsync(memoryBudgetMb: 100);
        using var response = await server.Client.PostAsync("/v2/sandboxes", new StringContent("{\"templateID\":\"default\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(429, (int)response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains("memory budget of 100 MB", body.RootElement.GetProperty("message").GetString());
        Assert.Empty(server.Registry.List());
    }

    [Fact]
    public async Task A_requested_memory_size_is_honoured_checked_and_counted_in_the_budget()
    {
        Assert.True(ImageStore.Default.Exists("default"), "the default image is not built: test.sh builds it with './sandbox86 image build'");
        // 300 MB holds the image's 256 MB guest but not a 512 MB one: the asked size is what is charged.
        await using var server = await TestServer.StartAsync(memoryBudgetMb: 300);
        async Task<(int Status, string Message)> Create(string json)
        {
            using var r = await server.Client.PostAsync("/v2/sandboxes", new StringContent(json, Encoding.UTF8, "application/json"));
            using var body = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
            return ((int)r.StatusCode, body.RootElement.GetProperty("message").GetString() ?? "");
        }

        var (status, message) = await Create("""{"templateID":"default","memoryMB":512}""");
        Assert.Equal(429, status);
        Assert.Contains("512 MB asked", message);
        (status, message) = await Create("""{"templateID":"default","memoryMB":100000}""");
        Assert.Equal(400, status);
        Assert.Contains("out of range", message);
        (status, _) = await Create("""{"templateID":"default","memoryMB":"lots"}""");
        Assert.Equal(400, status);
        Assert.Empty(server.Registry.List());
    }

    [Fact]
    public async Task Network_rules_are_checked_at_the_edge()
    {
        await using var server = await TestServer.StartAsync();
        async Task<int> Create(string json)
        {
            using var r = await server.Client.PostAsync("/v2/sandboxes", new StringContent(json, Encoding.UTF8, "application/json"));
            return (int)r.StatusCode;
        }

        Assert.Equal(400, await Create("""{"templateID":"default","allow_internet_access":false,"network":{"allowOut":["10.9.0.0/16"]}}"""));
        Assert.Equal(400, await Create("""{"templateID":"default","network":{"denyOut":["bad rule"]}}"""));
        Assert.Equal(400, await Create("""{"templateID":"default","network":{"denyOut":[""]}}"""));
        Assert.Equal(400, await Create("""{"templateID":"default","network":{"allowOut":"not a list"}}"""));
    }
}
