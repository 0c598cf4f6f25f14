using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sandbox86.Client;

/// <summary>
/// A typed client of <c>sandbox86 serve</c> (or any server of E2B's API): the control plane (create, get,
/// list, kill, pause, resume, set-timeout, fork, logs), commands through envd's <c>process.Process</c>,
/// and files through envd's <c>/files</c> and <c>filesystem.Filesystem</c>. Refusals throw
/// <see cref="SandboxApiException"/>. Safe to share between threads.
/// </summary>
public sealed partial class SandboxClient : IDisposable
{
    /// <summary>The metadata key that holds a sandbox's name (<c>sandbox86 create --name</c>).</summary>
    public const string NameMetadataKey = "sandbox86.name";

    /// <summary>A key in E2B's shape for servers that accept any key (a key must still be present).</summary>
    private const string PlaceholderKey = "e2b_0000000000000000000000000000000000000000";

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly SandboxClientOptions _options;
    private readonly ConcurrentDictionary<string, string?> _tokens = new(StringComparer.Ordinal);

    /// <summary>Creates a client; it owns its <see cref="HttpClient"/> unless one is given in the options.</summary>
    public SandboxClient(SandboxClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _ownsHttp = options.HttpClient is null;
        // Streams (exec, downloads) last as long as the command: each unary call gets its own deadline instead.
        _http = options.HttpClient ?? new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The server's base URL.</summary>
    public Uri BaseUrl => _options.BaseUrl;

    /// <summary>Creates a sandbox and returns it running.</summary>
    public async Task<SandboxInfo> CreateAsync(SandboxCreateOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var metadata = new JsonObject();
        foreach (var (k, v) in options.Metadata)
        {
            metadata[k] = v;
        }

        if (options.Name is { } name)
        {
            ValidateName(name);
            var taken = await ListAsync(includePaused: true, new Dictionary<string, string> { [NameMetadataKey] = name }, cancellationToken).ConfigureAwait(false);
            if (taken.Count > 0)
            {
                throw new SandboxApiException(409, "409", $"the name \"{name}\" is already in use by sandbox {taken[0].SandboxId}");
            }

            metadata[NameMetadataKey] = name;
        }

        var envs = new JsonObject();
        foreach (var (k, v) in options.EnvVars)
        {
            envs[k] = v;
        }

        var body = new JsonObject
        {
            ["templateID"] = options.Template,
            ["metadata"] = metadata,
            ["envVars"] = envs,
            ["secure"] = options.Secure,
            ["autoPause"] = options.AutoPause,
            ["allow_internet_access"] = options.AllowInternetAccess,
        };
        if (options.Timeout is { } ttl)
        {
            body["timeout"] = Seconds(ttl);
        }

        if (options.MemoryMb is { } memory)
        {
            body["memoryMB"] = memory;
        }

        if (options.Mounts.Count > 0)
        {
            body["hostMounts"] = new JsonArray([.. options.Mounts.Select(m => (JsonNode)new JsonObject
            {
                ["hostPath"] = m.HostPath, ["path"] = m.GuestPath, ["readOnly"] = m.ReadOnly,
            })]);
        }

        using var doc = await SendJsonAsync(HttpMethod.Post, "/sandboxes", body, cancellationToken).ConfigureAwait(false);
        return Remember(ClientJson.Sandbox(doc!.RootElement));
    }

    /// <summary>One sandbox by id (404 as <see cref="SandboxApiException"/>).</summary>
    public async Task<SandboxInfo> GetAsync(string sandboxId, CancellationToken cancellationToken = default)
    {
        using var doc = await SendJsonAsync(HttpMethod.Get, "/sandboxes/" + Escape(sandboxId), null, cancellationToken).ConfigureAwait(false);
        return Remember(ClientJson.Sandbox(doc!.RootElement));
    }

    /// <summary>The server's sandboxes, optionally with paused ones and filtered by metadata (all pages).</summary>
    public async Task<IReadOnlyList<SandboxInfo>> ListAsync(bool includePaused = false, IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        var query = new StringBuilder("/v2/sandboxes?limit=1000&state=").Append(includePaused ? "running,paused" : "running");
        if (metadata is { Count: > 0 })
        {
            // The SDKs send the filter as one URL-encoded "k1=v1&k2=v2" value.
            var filter = string.Join('&', metadata.Select(kv => Uri.EscapeDataString(kv.Key) + "=" + Uri.EscapeDataString(kv.Value)));
            query.Append("&metadata=").Append(Uri.EscapeDataString(filter));
        }

        var all = new List<SandboxInfo>();
        string? next = null;
        do
        {
            var path = next is null ? query.ToString() : query + "&nextToken=" + Uri.EscapeDataString(next);
            using var response = await SendAsync(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            using var doc = Parse(text, response);
            if (doc.RootElement.ValueKind == JsonValueKind.Array)
            {
                all.AddRange(doc.RootElement.EnumerateArray().Select(ClientJson.Sandbox).Select(Remember));
            }

            next = response.Headers.TryGetValues("x-next-token", out var values) ? values.FirstOrDefault() : null;
        }
        while (!string.IsNullOrEmpty(next) && all.Count < 100_000);

        return all;
    }

    /// <summary>
    /// The sandbox an id or a name (<see cref="SandboxCreateOptions.Name"/>) refers to, running or paused.
    /// An unknown one throws <see cref="SandboxApiException"/> with status 404.
    /// </summary>
    public async Task<SandboxInfo> FindAsync(string idOrName, CancellationToken cancellationToken = default)
    {
        var byName = await ListAsync(includePaused: true, new Dictionary<string, string> { [NameMetadataKey] = idOrName }, cancellationToken).ConfigureAwait(false);
        if (byName.Count > 0)
        {
            return byName[0];
        }

        try
        {
            return await GetAsync(idOrName, cancellationToken).ConfigureAwait(false);
        }
        catch (SandboxApiException e) when (e.StatusCode is 404 or 400)
        {
            throw new SandboxApiException(404, "404", $"no such sandbox: {idOrName}");
        }
    }

    /// <summary>Kills a sandbox and deletes it (also a paused one).</summary>
    public async Task KillAsync(string sandboxId, CancellationToken cancellationToken = default)
    {
        using var _ = await SendAsync(HttpMethod.Delete, "/sandboxes/" + Escape(sandboxId), null, cancellationToken).ConfigureAwait(false);
        _tokens.TryRemove(sandboxId, out string? _);
    }

    /// <summary>Pauses a running sandbox to the server's disk (memory, files and processes kept); 409 when already paused.</summary>
    public async Task PauseAsync(string sandboxId, CancellationToken cancellationToken = default)
    {
        using var _ = await SendAsync(HttpMethod.Post, "/sandboxes/" + Escape(sandboxId) + "/pause", new JsonObject { ["memory"] = true }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Connects to a sandbox, resuming it when paused, and sets its TTL to <paramref name="timeout"/> from now
    /// (the server's default when null). Returns true when it was resumed.
    /// </summary>
    public async Task<(SandboxInfo Sandbox, bool Resumed)> ConnectAsync(string sandboxId, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject();
        if (timeout is { } t)
        {
            body["timeout"] = Seconds(t);
        }

        using var response = await SendAsync(HttpMethod.Post, "/sandboxes/" + Escape(sandboxId) + "/connect", body, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        using var doc = Parse(text, response);
        return (Remember(ClientJson.Sandbox(doc.RootElement)), (int)response.StatusCode == 201);
    }

    /// <summary>Resumes a paused sandbox (409 as <see cref="SandboxApiException"/> when it is running).</summary>
    public async Task<SandboxInfo> ResumeAsync(string sandboxId, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject();
        if (timeout is { } t)
        {
            body["timeout"] = Seconds(t);
        }

        using var doc = await SendJsonAsync(HttpMethod.Post, "/sandboxes/" + Escape(sandboxId) + "/resume", body, cancellationToken).ConfigureAwait(false);
        return Remember(ClientJson.Sandbox(doc!.RootElement));
    }

    /// <summary>Sets the sandbox's TTL to <paramref name="timeout"/> from now.</summary>
    public async Task SetTimeoutAsync(string sandboxId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var _ = await SendAsync(HttpMethod.Post, "/sandboxes/" + Escape(sandboxId) + "/timeout", new JsonObject { ["timeout"] = Seconds(timeout) }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Forks a running sandbox into <paramref name="count"/> copies (E2B's <c>POST /sandboxes/{id}/fork</c>); each result says whether its fork started.</summary>
    public async Task<IReadOnlyList<SandboxForkResult>> ForkAsync(string sandboxId, int count = 1, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var body = new JsonObject { ["count"] = count };
        if (timeout is { } t)
        {
            body["timeout"] = Seconds(t);
        }

        using var doc = await SendJsonAsync(HttpMethod.Post, "/sandboxes/" + Escape(sandboxId) + "/fork", body, cancellationToken).ConfigureAwait(false);
        var results = new List<SandboxForkResult>();
        if (doc!.RootElement.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in doc.RootElement.EnumerateArray())
            {
                var sandbox = ClientJson.Child(item, "sandbox");
                var error = ClientJson.Child(item, "error");
                results.Add(sandbox.ValueKind == JsonValueKind.Object
                    ? new SandboxForkResult(Remember(ClientJson.Sandbox(sandbox)), null)
                    : new SandboxForkResult(null, ClientJson.String(error, "message") ?? "fork failed"));
            }
        }

        return results;
    }

    /// <summary>The guest console's recent lines (<c>GET /sandboxes/{id}/logs</c>, E2B's <c>SandboxLogs</c> shape).</summary>
    public async Task<IReadOnlyList<SandboxLogLine>> GetLogsAsync(string sandboxId, CancellationToken cancellationToken = default)
    {
        using var doc = await SendJsonAsync(HttpMethod.Get, "/sandboxes/" + Escape(sandboxId) + "/logs", null, cancellationToken).ConfigureAwait(false);
        var lines = new List<SandboxLogLine>();
        if (ClientJson.Child(doc!.RootElement, "logs") is { ValueKind: JsonValueKind.Array } logs)
        {
            foreach (var item in logs.EnumerateArray())
            {
                lines.Add(new SandboxLogLine(ClientJson.Time(item, "timestamp") ?? DateTimeOffset.MinValue, ClientJson.String(item, "line") ?? ""));
            }
        }

        return lines;
    }

    /// <summary>Disposes the HTTP client when the client made it.</summary>
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    internal static void ValidateName(string name)
    {
        // Docker's container-name rule: it keeps names usable as shell words and file names.
        if (name.Length is 0 or > 128 || !char.IsAsciiLetterOrDigit(name[0]) || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-')))
        {
            throw new ArgumentException($"invalid sandbox name \"{name}\": use letters, digits, '_', '.' and '-', starting with a letter or digit", nameof(name));
        }
    }

    private static int Seconds(TimeSpan t) => (int)Math.Clamp(Math.Ceiling(t.TotalSeconds), 1, int.MaxValue);

    private static string Escape(string id) => Uri.EscapeDataString(id);

    private SandboxInfo Remember(SandboxInfo info)
    {
        _tokens[info.SandboxId] = info.EnvdAccessToken;
        return info;
    }

    private async Task<JsonDocument?> SendJsonAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(method, path, body, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return Parse(text, response);
    }

    private static JsonDocument Parse(string text, HttpResponseMessage response)
    {
        try
        {
            return JsonDocument.Parse(text.Length == 0 ? "null" : text);
        }
        catch (JsonException e)
        {
            throw new SandboxApiException((int)response.StatusCode, null, $"the server's answer is not JSON: {e.Message}");
        }
    }

    /// <summary>One control-plane call, bounded by <see cref="SandboxClientOptions.RequestTimeout"/>; a refusal throws.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(_options.BaseUrl, path));
        request.Headers.Add("X-API-Key", _options.ApiKey ?? PlaceholderKey);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.RequestTimeout);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, deadline.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                using (response)
                {
                    throw ClientJson.Error((int)response.StatusCode, await ReadBoundedAsync(response, deadline.Token).ConfigureAwait(false));
                }
            }

            await response.Content.LoadIntoBufferAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SandboxApiException(504, null, $"{method} {path}: no answer from {_options.BaseUrl} within {_options.RequestTimeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException e)
        {
            throw new SandboxApiException(0, null, $"cannot reach the server at {_options.BaseUrl}: {e.Message}");
        }

        return response;
    }

    /// <summary>An error body, read up to 64 KiB: a hostile server cannot make us buffer more.</summary>
    private static async Task<string> ReadBoundedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[64 * 1024];
        var total = 0;
        int n;
        while (total < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false)) > 0)
        {
            total += n;
        }

        return Encoding.UTF8.GetString(buffer, 0, total);
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static AuthenticationHeaderValue BasicUser(string user) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":")));
}
