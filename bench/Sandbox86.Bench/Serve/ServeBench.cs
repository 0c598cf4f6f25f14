using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Sandbox86.Bench.Serve;

/// <summary>
/// A real <c>sandbox86 serve</c> on loopback, timed through the raw HTTP API (control plane JSON, envd
/// Connect-JSON) and through the unmodified E2B JS SDK (bench/e2b): create to the first stdout byte of
/// <c>echo hi</c>, the <c>true</c> round trip, 10 MB file write and read, pause and resume of a 256 MB
/// guest, and the RSS of the server and its workers with 1, 2 and 4 sandboxes.
/// </summary>
internal static class ServeBench
{
    private const int FileBytes = 10 * 1024 * 1024;

    public static async Task<int> RunAsync(int runs, int roundTrips)
    {
        Console.WriteLine($"machine: {Stats.Machine()}; load average at start {Stats.LoadAverage()}");
        await using var server = await ServeProcess.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(server.Url), Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Add("X-API-Key", ServeProcess.Key);

        await RawAsync(http, runs, roundTrips);
        await MemoryAsync(http, server);
        await SdkAsync(server, runs, roundTrips);
        Console.WriteLine($"load average at the end {Stats.LoadAverage()}");
        return 0;
    }

    private static async Task RawAsync(HttpClient http, int runs, int roundTrips)
    {
        var create = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            var id = await CreateAsync(http);
            var (_, firstMs) = await StartAsync(http, id, "/bin/bash", ["-l", "-c", "echo hi"], clock);
            create.Add(firstMs);
            await KillAsync(http, id);
        }

        Console.WriteLine(Stats.DescribeP95("raw API: create -> first stdout of bash -l -c 'echo hi'", create, "ms"));
        var sandbox = await CreateAsync(http);
        var trips = new List<double>();
        for (var i = 0; i < roundTrips; i++)
        {
            var clock = Stopwatch.StartNew();
            await StartAsync(http, sandbox, "/bin/bash", ["-l", "-c", "true"], null);
            trips.Add(clock.Elapsed.TotalMilliseconds);
        }

        Console.WriteLine(Stats.DescribeP95("raw API: Start of bash -l -c true (what commands.run('true') sends), round trip", trips, "ms"));
        var argv = new List<double>();
        for (var i = 0; i < roundTrips; i++)
        {
            var clock = Stopwatch.StartNew();
            await StartAsync(http, sandbox, "/bin/true", [], null);
            argv.Add(clock.Elapsed.TotalMilliseconds);
        }

        Console.WriteLine(Stats.DescribeP95("raw API: Start of /bin/true (no login shell), round trip", argv, "ms"));
        var data = new byte[FileBytes];
        new Random(86).NextBytes(data);
        var writes = new List<double>();
        var reads = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            using var content = new ByteArrayContent(data);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var up = await http.SendAsync(Envd(HttpMethod.Post, "/files?path=/home/user/bench.bin", sandbox, content));
            up.EnsureSuccessStatusCode();
            writes.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            using var down = await http.SendAsync(Envd(HttpMethod.Get, "/files?path=/home/user/bench.bin", sandbox, null));
            down.EnsureSuccessStatusCode();
            var back = await down.Content.ReadAsByteArrayAsync();
            reads.Add(clock.Elapsed.TotalMilliseconds);
            if (!back.AsSpan().SequenceEqual(data))
            {
                throw new InvalidOperationException("the 10 MB file came back different");
            }
        }

        Console.WriteLine(Stats.DescribeP95("raw API: POST /files 10 MB (octet-stream)", writes, "ms"));
        Console.WriteLine(Stats.DescribeP95("raw API: GET /files 10 MB", reads, "ms"));
        var pauses = new List<double>();
        var resumes = new List<double>();
        for (var i = 0; i < Math.Min(runs, 3); i++)
        {
            var clock = Stopwatch.StartNew();
            using (var paused = await http.PostAsync($"/sandboxes/{sandbox}/pause", null))
            {
                paused.EnsureSuccessStatusCode();
            }

            pauses.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            using (var resumed = await http.PostAsync($"/sandboxes/{sandbox}/connect", Json("""{"timeout":600}""")))
            {
                resumed.EnsureSuccessStatusCode();
            }

            var (stdout, _) = await StartAsync(http, sandbox, "/bin/sh", ["-c", "test -s /home/user/bench.bin && echo kept"], null);
            resumes.Add(clock.Elapsed.TotalMilliseconds);
            if (stdout.Trim() != "kept")
            {
                throw new InvalidOperationException("the resumed sandbox lost its file");
            }
        }

        Console.WriteLine(Stats.DescribeP95("raw API: pause of a 256 MB guest (POST /sandboxes/ID/pause)", pauses, "ms"));
        Console.WriteLine(Stats.DescribeP95("raw API: resume (POST /sandboxes/ID/connect) to a first command's exit", resumes, "ms"));
        await KillAsync(http, sandbox);
    }

    private static async Task MemoryAsync(HttpClient http, ServeProcess server)
    {
        var ids = new List<string>();
        foreach (var count in new[] { 1, 2, 4 })
        {
            while (ids.Count < count)
            {
                ids.Add(await CreateAsync(http));
                await StartAsync(http, ids[^1], "/bin/true", [], null);
            }

            await Task.Delay(TimeSpan.FromSeconds(2));
            var workers = server.WorkerRssMiB();
            Console.WriteLine($"memory with {count} idle sandbox(es): server RSS {server.RssMiB():0} MiB; workers " +
                $"{string.Join(", ", workers.Select(w => $"{w:0}"))} MiB (sum {workers.Sum():0})");
        }

        foreach (var id in ids)
        {
            await KillAsync(http, id);
        }
    }

    private static async Task SdkAsync(ServeProcess server, int runs, int roundTrips)
    {
        var directory = Path.Combine(Util.SandboxPaths.RepoRoot, "bench", "e2b");
        if (!File.Exists(Path.Combine(directory, "node_modules", "e2b", "package.json")))
        {
            var (code, output) = await ServeProcess.RunToEndAsync("npm", ["ci", "--no-audit", "--no-fund"], directory, []);
            if (code != 0)
            {
                throw new InvalidOperationException($"npm ci in bench/e2b failed ({code}): {output}");
            }
        }

        var (exit, stdout) = await ServeProcess.RunToEndAsync("node", ["serve-bench.mjs"], directory, new Dictionary<string, string>
        {
            ["E2B_API_URL"] = server.Url,
            ["E2B_SANDBOX_URL"] = server.Url,
            ["E2B_API_KEY"] = ServeProcess.Key,
            ["BENCH_RUNS"] = runs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["BENCH_ROUND_TRIPS"] = roundTrips.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        if (exit != 0)
        {
            throw new InvalidOperationException($"serve-bench.mjs exited {exit}: {stdout}");
        }

        using var json = JsonDocument.Parse(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        foreach (var (name, what) in new[]
        {
            ("createToFirstStdout", "Sandbox.create() -> first stdout of commands.run('echo hi')"),
            ("runTrue", "commands.run('true') round trip"),
            ("write10MB", "files.write 10 MB"),
            ("read10MB", "files.read 10 MB"),
            ("pause", "pause() of a 256 MB guest"),
            ("resume", "Sandbox.connect() of the paused sandbox to a first command's exit"),
        })
        {
            var values = json.RootElement.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToList();
            Console.WriteLine(Stats.DescribeP95("E2B SDK: " + what, values, "ms"));
        }
    }

    private static async Task<string> CreateAsync(HttpClient http)
    {
        using var response = await http.PostAsync("/sandboxes", Json("""{"templateID":"default","timeout":600}"""));
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"create: {(int)response.StatusCode} {body}");
        }

        return JsonDocument.Parse(body).RootElement.GetProperty("sandboxID").GetString()!;
    }

    private static async Task KillAsync(HttpClient http, string id)
    {
        using var response = await http.DeleteAsync($"/sandboxes/{id}");
    }

    /// <summary>One envd Start to its end event: its stdout and when the first stdout bytes arrived (ms on <paramref name="clock"/>).</summary>
    private static async Task<(string Stdout, double FirstStdoutMs)> StartAsync(HttpClient http, string sandbox, string cmd, string[] args, Stopwatch? clock)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(new { process = new { cmd, args } });
        var envelope = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(envelope.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(envelope, 5);
        var content = new ByteArrayContent(envelope);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/connect+json");
        using var request = Envd(HttpMethod.Post, "/process.Process/Start", sandbox, content);
        request.Headers.Add("Connect-Protocol-Version", "1");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        await using var stream = await response.Content.ReadAsStreamAsync();
        var stdout = new StringBuilder();
        var first = 0.0;
        var header = new byte[5];
        while (await stream.ReadAtLeastAsync(header, 5, throwOnEndOfStream: false) == 5)
        {
            var body = new byte[BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1))];
            await stream.ReadExactlyAsync(body);
            using var message = JsonDocument.Parse(body);
            if (message.RootElement.TryGetProperty("event", out var ev) && ev.TryGetProperty("data", out var data) && data.TryGetProperty("stdout", out var o))
            {
                if (first == 0 && clock is not null)
                {
                    first = clock.Elapsed.TotalMilliseconds;
                }

                stdout.Append(Encoding.UTF8.GetString(o.GetBytesFromBase64()));
            }

            if ((header[0] & 2) != 0)
            {
                break;
            }
        }

        return (stdout.ToString(), first);
    }

    private static HttpRequestMessage Envd(HttpMethod method, string path, string sandbox, HttpContent? content)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Add("E2b-Sandbox-Id", sandbox);
        request.Headers.Add("E2b-Sandbox-Port", "49983");
        return request;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
