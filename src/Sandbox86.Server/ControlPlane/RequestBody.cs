using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Sandbox86.Server.Sandboxes;

namespace Sandbox86.Server.ControlPlane;

/// <summary>Reads a bounded JSON body; too large or malformed bodies become 413/400, never an exception the host sees.</summary>
internal static class RequestBody
{
    public static async Task<T> ReadAsync<T>(HttpRequest request, long maxBytes, T empty, CancellationToken cancellationToken)
        where T : class
    {
        if (request.ContentLength > maxBytes)
        {
            throw new SandboxException(413, $"request body is larger than {maxBytes} bytes");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw new SandboxException(413, $"request body is larger than {maxBytes} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            return empty;
        }

        try
        {
            return JsonSerializer.Deserialize<T>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)) ?? empty;
        }
        catch (JsonException e)
        {
            throw new SandboxException(400, $"invalid JSON body: {e.Message}");
        }
    }
}
