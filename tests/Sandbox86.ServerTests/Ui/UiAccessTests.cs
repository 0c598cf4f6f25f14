using System.Net;
using System.Text.Json;
using Sandbox86.Server.Ui;
using Sandbox86.ServerTests.Infrastructure;

namespace Sandbox86.ServerTests.Ui;

/// <summary>The console's files and the key, Origin and Host rules of its PTY socket (no VM needed: refusals come first).</summary>
public sealed class UiAccessTests
{
    private const string Missing = "/ui/sandboxes/nosuchsandbox/pty";

    [Fact]
    public async Task The_page_and_its_pinned_xterm_are_served_without_a_key_and_nothing_else_is()
    {
        await using var server = await TestServer.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = new Uri(server.Url) };
        using var noRedirect = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(server.Url) };
        var bare = await noRedirect.GetAsync("/ui");
        Assert.Equal(HttpStatusCode.Redirect, bare.StatusCode);
        Assert.Equal("/ui/", bare.Headers.Location?.OriginalString);
        var page = await anonymous.GetAsync("/ui/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("ui.js", await page.Content.ReadAsStringAsync());
        Assert.Contains("frame-ancestors 'none'", page.Headers.GetValues("Content-Security-Policy").Single());
        var xterm = await anonymous.GetAsync("/ui/xterm/xterm.mjs");
        Assert.Equal(HttpStatusCode.OK, xterm.StatusCode);
        Assert.Equal("text/javascript", xterm.Content.Headers.ContentType?.MediaType);
        var script = await anonymous.GetStringAsync("/ui/ui.js");
        Assert.Contains("sandbox86.key.", script);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/ui/nope.js")).StatusCode);
        foreach (var path in new[] { "/ui/../README.md", "/ui/%2e%2e/README.md", "/ui/xterm/..%2f..%2fpackage.json", "/ui/index.html%00", "/ui/ui" })
        {
            var response = await anonymous.GetAsync(path);
            Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
            Assert.DoesNotContain("sandbox86", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var config = JsonDocument.Parse(await anonymous.GetStringAsync("/ui/config"));
        Assert.True(config.RootElement.GetProperty("keyRequired").GetBoolean());
        // The page is open; the API it calls is not.
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v2/sandboxes")).StatusCode);
    }

    [Fact]
    public async Task With_keys_the_socket_needs_a_right_key_in_its_subprotocol_and_this_servers_origin()
    {
        await using var server = await TestServer.StartAsync();
        var origin = server.Url;
        var right = UiSocketAccess.ProtocolsFor(TestServer.Key);
        var wrong = UiSocketAccess.ProtocolsFor("e2b_ffffffffffffffffffffffffffffffffffffffff");
        Assert.Equal(401, await UiUpgrade.StatusAsync(server.Url, Missing, origin, protocols: [UiSocketAccess.Protocol]));
        Assert.Equal(401, await UiUpgrade.StatusAsync(server.Url, Missing, origin, protocols: wrong));
        Assert.Equal(401, await UiUpgrade.StatusAsync(server.Url, Missing, origin, protocols: [UiSocketAccess.Protocol, UiSocketAccess.KeyPrefix + "zz"]));
        Assert.Equal(401, await UiUpgrade.StatusAsync(server.Url, Missing, origin, protocols: [UiSocketAccess.Protocol, UiSocketAccess.KeyPrefix + new string('a', 4000)]));
        // A key in the query string is not a key: it would be logged.
        Assert.Equal(401, await UiUpgrade.StatusAsync(server.Url, Missing + "?key=" + TestServer.Key, origin, protocols: [UiSocketAccess.Protocol]));
        Assert.Equal(403, await UiUpgrade.StatusAsync(server.Url, Missing, "http://evil.example", protocols: right));
        Assert.Equal(403, await UiUpgrade.StatusAsync(server.Url, Missing, origin.Replace("127.0.0.1", "localhost", StringComparison.Ordinal), protocols: right));
        Assert.Equal(403, await UiUpgrade.StatusAsync(server.Url, Missing, null, protocols: right));
        Assert.Equal(403, await UiUpgrade.StatusAsync(server.Url, Missing, "null", protocols: right));
        Assert.Equal(400, await UiUpgrade.StatusAsync(server.Url, Missing, origin, protocols: ["chat"]));
        // Key and Origin right: past both checks, to the lookup.
        Assert.Equal(404, await UiUpgrade.StatusAsync(server.Url, Missing, origin, protocols: right));
    }

    [Fact]
    public async Task Without_keys_the_socket_is_open_on_loopback_names_only()
    {
        await using var server = await TestServer.StartAsync(keys: []);
        using var anonymous = new HttpClient { BaseAddress = new Uri(server.Url) };
        using var config = JsonDocument.Parse(await anonymous.GetStringAsync("/ui/config"));
        Assert.False(config.RootElement.GetProperty("keyRequired").GetBoolean());
        var port = new Uri(server.Url).Port;
        Assert.Equal(404, await UiUpgrade.StatusAsync(server.Url, Missing, server.Url, protocols: UiSocketAccess.ProtocolsFor(null)));
        Assert.Equal(404, await UiUpgrade.StatusAsync(server.Url, Missing, $"http://localhost:{port}", host: $"localhost:{port}", protocols: UiSocketAccess.ProtocolsFor(null)));
        // DNS rebinding: a foreign name resolving to loopback has an Origin that matches its Host.
        Assert.Equal(403, await UiUpgrade.StatusAsync(server.Url, Missing, $"http://rebind.example:{port}", host: $"rebind.example:{port}", protocols: UiSocketAccess.ProtocolsFor(null)));
        Assert.Equal(403, await UiUpgrade.StatusAsync(server.Url, Missing, "http://evil.example", protocols: UiSocketAccess.ProtocolsFor(null)));
    }
}
