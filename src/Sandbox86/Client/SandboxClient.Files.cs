using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sandbox86.Client;

/// <summary>Files: envd's REST <c>/files</c> (raw bytes both ways) and <c>filesystem.Filesystem</c> (Stat, ListDir, MakeDir).</summary>
public sealed partial class SandboxClient
{
    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> in the sandbox (parents created, mode 0644), streaming.</summary>
    public async Task UploadAsync(string sandboxId, string path, Stream content, string? user = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        using var request = await EnvdRequestAsync(HttpMethod.Post, sandboxId, FilesPath(path, user), user, cancellationToken).ConfigureAwait(false);
        request.Content = new StreamContent(content, 64 * 1024);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await SendStreamingAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Copies the file at <paramref name="path"/> in the sandbox to <paramref name="destination"/>, streaming.</summary>
    public async Task DownloadAsync(string sandboxId, string path, Stream destination, string? user = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var request = await EnvdRequestAsync(HttpMethod.Get, sandboxId, FilesPath(path, user), user, cancellationToken).ConfigureAwait(false);
        using var response = await SendStreamingAsync(request, cancellationToken).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await body.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Describes a path in the sandbox; a missing one throws <see cref="SandboxApiException"/> with status 404.</summary>
    public async Task<SandboxFileInfo> StatAsync(string sandboxId, string path, string? user = null, CancellationToken cancellationToken = default)
    {
        using var doc = await UnaryAsync(sandboxId, "filesystem.Filesystem/Stat", new JsonObject { ["path"] = path }, user, cancellationToken).ConfigureAwait(false);
        return ClientJson.Entry(ClientJson.Child(doc.RootElement, "entry"));
    }

    /// <summary>Lists a directory in the sandbox, <paramref name="depth"/> levels deep.</summary>
    public async Task<IReadOnlyList<SandboxFileInfo>> ListDirectoryAsync(string sandboxId, string path, int depth = 1, string? user = null, CancellationToken cancellationToken = default)
    {
        using var doc = await UnaryAsync(sandboxId, "filesystem.Filesystem/ListDir", new JsonObject { ["path"] = path, ["depth"] = depth }, user, cancellationToken).ConfigureAwait(false);
        return ClientJson.Child(doc.RootElement, "entries") is { ValueKind: JsonValueKind.Array } entries
            ? [.. entries.EnumerateArray().Select(ClientJson.Entry)]
            : [];
    }

    private static string FilesPath(string path, string? user)
    {
        var query = "/files?path=" + Uri.EscapeDataString(path);
        return user is null ? query : query + "&username=" + Uri.EscapeDataString(user);
    }
}
