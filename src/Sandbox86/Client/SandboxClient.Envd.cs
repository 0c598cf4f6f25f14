using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sandbox86.Client;

/// <summary>The envd half: requests routed by <c>E2b-Sandbox-Id</c> to one sandbox's data plane.</summary>
public sealed partial class SandboxClient
{
    /// <summary>A request to envd with the routing headers, the access token of a secure sandbox and the user (Basic auth, as the SDKs send it).</summary>
    private async Task<HttpRequestMessage> EnvdRequestAsync(HttpMethod method, string sandboxId, string path, string? user, CancellationToken cancellationToken)
    {
        if (!_tokens.TryGetValue(sandboxId, out var token))
        {
            // Learn the token once per sandbox; this also turns an unknown id into the control plane's 404.
            token = (await GetAsync(sandboxId, cancellationToken).ConfigureAwait(false)).EnvdAccessToken;
        }

        var request = new HttpRequestMessage(method, new Uri(_options.BaseUrl, path));
        request.Headers.Add("E2b-Sandbox-Id", sandboxId);
        request.Headers.Add("E2b-Sandbox-Port", "49983");
        request.Headers.Add("Connect-Protocol-Version", "1");
        if (token is not null)
        {
            request.Headers.Add("X-Access-Token", token);
        }

        if (user is not null)
        {
            request.Headers.Authorization = BasicUser(user);
        }

        return request;
    }

    /// <summary>A unary Connect call (JSON codec); a refusal throws with the Connect code.</summary>
    private async Task<JsonDocument> UnaryAsync(string sandboxId, string method, JsonObject message, string? user, CancellationToken cancellationToken)
    {
        using var request = await EnvdRequestAsync(HttpMethod.Post, sandboxId, "/" + method, user, cancellationToken).ConfigureAwait(false);
        request.Content = new StringContent(message.ToJsonString(), Encoding.UTF8, "application/json");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.RequestTimeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            var text = await ReadBoundedAsync(response, deadline.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw ClientJson.Error((int)response.StatusCode, text);
            }

            return Parse(text, response);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SandboxApiException(504, null, $"{method}: no answer within {_options.RequestTimeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException e)
        {
            throw new SandboxApiException(0, null, $"cannot reach the server at {_options.BaseUrl}: {e.Message}");
        }
    }

    /// <summary>Sends an envd request whose answer is read as a stream; a non-2xx answer throws.</summary>
    private async Task<HttpResponseMessage> SendStreamingAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new SandboxApiException(0, null, $"cannot reach the server at {_options.BaseUrl}: {e.Message}");
        }

        if (!response.IsSuccessStatusCode)
        {
            using (response)
            {
                throw ClientJson.Error((int)response.StatusCode, await ReadBoundedAsync(response, cancellationToken).ConfigureAwait(false));
            }
        }

        return response;
    }

    private static MediaTypeHeaderValue ConnectStreamType => new("application/connect+json");
}
