using System.Net;
using System.Text;
using System.Text.Json;
using Sandbox86.ServerTests.Infrastructure;

namespace Sandbox86.ServerTests.ControlPlane;

/// <summary>Requests the control plane must refuse with E2B's <c>{code, message}</c> body (no VM needed).</summary>
public sealed class RefusalTests
{
    [Fact]
    public async Task Missing_or_wrong_api_key_is_401()
    {
        await using var server = await TestServer.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = new Uri(server.Url) };
        var none = await anonymous.GetAsync("/v2/sandboxes");
        await AssertErrorAsync(none, 401);
        anonymous.DefaultRequestHeaders.Add("X-API-Key", "e2b_ffffffffffffffffffffffffffffffffffffffff");
        await AssertErrorAsync(await anonymous.GetAsync("/v2/sandboxes"), 401);
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/v2/sandboxes")).StatusCode);
    }

    [Fact]
    public async Task Bad_json_bad_timeout_unknown_template_and_id_are_400_and_404()
    {
        await using var server = await TestServer.StartAsync();
        await AssertErrorAsync(await server.Client.PostAsync("/sandboxes", Json("{\"templateID\": ")), 400);
        await AssertErrorAsync(await server.Client.PostAsync("/sandboxes", Json("{\"timeout\": \"x\"}")), 400);
        await AssertErrorAsync(await server.Client.PostAsync("/sandboxes", Json("{\"timeout\": 0}")), 400);
        await AssertErrorAsync(await server.Client.PostAsync("/sandboxes", Json("{\"templateID\": \"../etc\"}")), 400);
        await AssertErrorAsync(await server.Client.PostAsync("/sandboxes", Json("{\"templateID\": \"no-such-template\"}")), 404);
        await AssertErrorAsync(await server.Client.GetAsync("/sandboxes/nosuchsandbox"), 404);
        await AssertErrorAsync(await server.Client.DeleteAsync("/sandboxes/nosuchsandbox"), 404);
        await AssertErrorAsync(await server.Client.PostAsync("/sandboxes/nosuchsandbox/pause", null), 404);
        await AssertErrorAsync(await server.Client.GetAsync("/v2/sandboxes?limit=0"), 400);
        // The server is still serving after all of that.
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/v2/sandboxes")).StatusCode);
    }

    [Fact]
    public async Task Oversized_body_is_413()
    {
        await using var server = await TestServer.StartAsync();
        var big = "{\"metadata\":{\"k\":\"" + new string('a', 200_000) + "\"}}";
        await AssertErrorAsync(await server.Client.PostAsync("/sandboxes", Json(big)), 413);
    }

    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    private static async Task AssertErrorAsync(HttpResponseMessage response, int status)
    {
        Assert.Equal(status, (int)response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(status, body.RootElement.GetProperty("code").GetInt32());
        Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("message").GetString()));
    }
}
