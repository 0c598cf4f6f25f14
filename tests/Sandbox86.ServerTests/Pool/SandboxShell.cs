using System.Text;
using System.Text.Json;
using Sandbox86.ServerTests.Envd;
using Sandbox86.ServerTests.Infrastructure;

namespace Sandbox86.ServerTests.Pool;

/// <summary>Creates sandboxes and runs shell commands in them through the server's HTTP API (control plane + envd).</summary>
internal static class SandboxShell
{
    public static async Task<JsonElement> CreateAsync(TestServer server)
    {
        using var response = await server.Client.PostAsync("/sandboxes", new StringContent("""{"templateID":"base","timeout":300}""", Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(201 == (int)response.StatusCode, $"create: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task KillAsync(TestServer server, string id)
    {
        using var _ = await server.Client.DeleteAsync($"/sandboxes/{id}");
    }

    /// <summary>Runs <paramref name="script"/> with <c>sh -c</c>; returns stdout, asserting exit 0.</summary>
    public static async Task<string> RunAsync(TestServer server, JsonElement sandbox, string script)
    {
        var id = sandbox.GetProperty("sandboxID").GetString()!;
        var token = sandbox.TryGetProperty("envdAccessToken", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        using var client = new ConnectClient(new Uri(server.Url), id, token);
        var request = JsonSerializer.Serialize(new { process = new { cmd = "/bin/sh", args = new[] { "-c", script } }, stdin = false });
        var frames = await client.StreamAsync("/process.Process/Start", request);
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var exit = -1;
        foreach (var (_, message) in frames)
        {
            if (!message.TryGetProperty("event", out var e))
            {
                continue;
            }

            if (e.TryGetProperty("data", out var data))
            {
                if (data.TryGetProperty("stdout", out var o))
                {
                    stdout.Append(Encoding.UTF8.GetString(o.GetBytesFromBase64()));
                }

                if (data.TryGetProperty("stderr", out var r))
                {
                    stderr.Append(Encoding.UTF8.GetString(r.GetBytesFromBase64()));
                }
            }
            else if (e.TryGetProperty("end", out var end))
            {
                exit = end.TryGetProperty("exitCode", out var code) ? code.GetInt32() : 0;
            }
        }

        Assert.True(exit == 0, $"`{script}` exited {exit}: {stderr}");
        return stdout.ToString();
    }
}
