using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Sandbox86.Server.Envd.Connect;

namespace Sandbox86.Server.Envd.Files;

/// <summary>envd's REST <c>GET /files</c> (raw bytes) and <c>POST /files</c> (octet-stream or multipart <c>file</c>).</summary>
internal static class FileTransfer
{
    public static async Task DownloadAsync(EnvdCall call, HttpContext context, CancellationToken cancellationToken)
    {
        var path = call.Resolve(context.Request.Query["path"].ToString());
        var info = await FilesystemService.Guard(() => call.Agent.StatAsync(path, cancellationToken), path).ConfigureAwait(false);
        if (info.IsDirectory)
        {
            throw new ConnectException("invalid_argument", $"path '{path}' is a directory");
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/octet-stream";
        // Streams chunk by chunk with the agent's credit: a slow client stalls the guest, not our memory.
        await call.Agent.ReadFileAsync(path, context.Response.Body, cancellationToken).ConfigureAwait(false);
    }

    public static async Task UploadAsync(EnvdCall call, HttpContext context, CancellationToken cancellationToken)
    {
        var query = context.Request.Query["path"].ToString();
        var written = new List<Dictionary<string, string>>();
        var contentType = context.Request.ContentType ?? "application/octet-stream";
        if (contentType.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase))
        {
            var boundary = HeaderUtilities.RemoveQuotes(MediaTypeHeaderValue.Parse(contentType).Boundary).Value
                ?? throw new ConnectException("invalid_argument", "multipart body without a boundary");
            var reader = new MultipartReader(boundary, context.Request.Body);
            while (await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition())
                {
                    continue;
                }

                var fileName = HeaderUtilities.RemoveQuotes(disposition.FileName).Value ?? "";
                var target = call.Resolve(query.Length > 0 ? query : fileName);
                await WriteAsync(call, target, section.Body, cancellationToken).ConfigureAwait(false);
                written.Add(Entry(target));
            }
        }
        else
        {
            if (query.Length == 0)
            {
                throw new ConnectException("invalid_argument", "path is required for an octet-stream upload");
            }

            var target = call.Resolve(query);
            await WriteAsync(call, target, context.Request.Body, cancellationToken).ConfigureAwait(false);
            written.Add(Entry(target));
        }

        context.Response.StatusCode = 200;
        await context.Response.WriteAsJsonAsync(written, cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteAsync(EnvdCall call, string path, Stream body, CancellationToken cancellationToken)
    {
        if (call.User != "root")
        {
            await FilesystemService.PrepareWriteAsUserAsync(call, path, cancellationToken).ConfigureAwait(false);
        }

        // Owned by the calling user from the moment it appears (the agent chowns before its rename; no exec of chown).
        var owner = call.User != "root" ? call.User : null;
        await FilesystemService.Guard(async () => { await call.Agent.WriteFileAsync(path, body, 420, true, owner, cancellationToken).ConfigureAwait(false); return 0; }, path).ConfigureAwait(false);
    }

    private static Dictionary<string, string> Entry(string path) => new()
    {
        ["path"] = path,
        ["name"] = path[(path.LastIndexOf('/') + 1)..],
        ["type"] = "file",
    };
}
