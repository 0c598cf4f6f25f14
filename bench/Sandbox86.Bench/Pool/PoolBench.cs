using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Sandbox86.Bench.Pool;

/// <summary>
/// Through the HTTP API of <c>sandbox86 serve --pool N</c>: pooled create → first stdout of <c>echo hi</c>
/// (medians and p95), and <c>fork(count)</c> total time. The machine is shared: the load average is printed.
/// </summary>
internal static class PoolBench
{
    public static async Task<int> RunAsync(int runs, int pool, int forkCount)
    {
        Console.WriteLine($"machine: {Stats.Machine()}; load average before: {LoadAverage()}");
        await using var serve = await ServeProcess.StartAsync(["--pool", pool.ToString(System.Globalization.CultureInfo.InvariantCulture), "--pool-refill-delay", "0.5"]);
        using var http = new HttpClient { BaseAddress = new Uri(serve.Url), Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Add("X-API-Key", "e2b_00000000000000000000000000000000");
        // The pool fills after start (a restore each, ~1-3 s on a busy host): one throwaway create warms the path too.
        await Task.Delay(TimeSpan.FromSeconds(10 + (3 * pool)));
        var warm = await CreateAsync(http);
        await KillAsync(http, warm.Id);

        var createMs = new List<double>();
        var firstStdoutMs = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            // Let the pool refill between claims (refill delay 0.5 s plus one restore).
            await Task.Delay(TimeSpan.FromSeconds(4));
            var clock = Stopwatch.StartNew();
            var sandbox = await CreateAsync(http);
            createMs.Add(clock.Elapsed.TotalMilliseconds);
            var stdout = await FirstStdoutAsync(serve.Url, sandbox, "echo hi");
            firstStdoutMs.Add(clock.Elapsed.TotalMilliseconds);
            if (stdout != "hi\n")
            {
                throw new InvalidOperationException($"echo hi printed '{stdout}'");
            }

            await KillAsync(http, sandbox.Id);
        }

        var kind = pool > 0 ? $"pooled create (--pool {pool})" : "create without a pool";
        Console.WriteLine(Describe($"{kind}: POST /sandboxes", createMs));
        Console.WriteLine(Describe($"{kind} -> first stdout of echo hi", firstStdoutMs));

        var forkMs = new List<double>();
        for (var i = 0; i < Math.Max(1, runs / 5); i++)
        {
            await Task.Delay(TimeSpan.FromSeconds(4));
            var parent = await CreateAsync(http);
            var clock = Stopwatch.StartNew();
            using var response = await http.PostAsync($"/sandboxes/{parent.Id}/fork", new StringContent($$"""{"count":{{forkCount}},"timeout":120}""", Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            forkMs.Add(clock.Elapsed.TotalMilliseconds);
            if ((int)response.StatusCode != 201)
            {
                throw new InvalidOperationException($"fork: {(int)response.StatusCode} {text}");
            }

            var children = JsonDocument.Parse(text).RootElement.EnumerateArray().Select(r => r.GetProperty("sandbox").GetProperty("sandboxID").GetString()!).ToList();
            foreach (var id in children.Append(parent.Id))
            {
                await KillAsync(http, id);
            }
        }

        Console.WriteLine(Describe($"fork(count={forkCount}) of a running sandbox, total", forkMs));
        Console.WriteLine($"load average after: {LoadAverage()}");
        return 0;
    }

    private static string Describe(string what, List<double> values) =>
        $"{Stats.Describe(what, values, "ms")}, p95 {Percentile(values, 0.95):0.0} ms";

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    private sealed record Created(string Id, string? Token);

    private static async Task<Created> CreateAsync(HttpClient http)
    {
        using var response = await http.PostAsync("/sandboxes", new StringContent("""{"templateID":"base","timeout":300}""", Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode != 201)
        {
            throw new InvalidOperationException($"create: {(int)response.StatusCode} {text}");
        }

        var body = JsonDocument.Parse(text).RootElement;
        return new Created(body.GetProperty("sandboxID").GetString()!,
            body.TryGetProperty("envdAccessToken", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null);
    }

    private static async Task KillAsync(HttpClient http, string id)
    {
        using var _ = await http.DeleteAsync($"/sandboxes/{id}");
    }

    /// <summary>envd's Process/Start (Connect JSON stream): returns the first stdout chunk as soon as it arrives.</summary>
    private static async Task<string> FirstStdoutAsync(string url, Created sandbox, string script)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(2) };
        var json = JsonSerializer.Serialize(new { process = new { cmd = "/bin/sh", args = new[] { "-c", script } }, stdin = false });
        var payload = Encoding.UTF8.GetBytes(json);
        var frame = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/process.Process/Start") { Content = new ByteArrayContent(frame) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/connect+json");
        request.Headers.Add("E2b-Sandbox-Id", sandbox.Id);
        request.Headers.Add("Connect-Protocol-Version", "1");
        if (sandbox.Token is not null)
        {
            request.Headers.Add("X-Access-Token", sandbox.Token);
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var header = new byte[5];
        while (true)
        {
            await stream.ReadExactlyAsync(header);
            var body = new byte[BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1))];
            await stream.ReadExactlyAsync(body);
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.TryGetProperty("event", out var e) && e.TryGetProperty("data", out var data) && data.TryGetProperty("stdout", out var o))
            {
                return Encoding.UTF8.GetString(o.GetBytesFromBase64());
            }

            if ((header[0] & 2) != 0)
            {
                throw new InvalidOperationException("the stream ended without stdout: " + Encoding.UTF8.GetString(body));
            }
        }
    }
}
