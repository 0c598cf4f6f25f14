using System.CommandLine;
using Sandbox86.Cli.Output;
using Sandbox86.Client;

namespace Sandbox86.Cli.Commands.Sandboxes;

/// <summary>
/// <c>--url</c> and <c>--api-key</c> of every sandbox verb: the server named by them (or by
/// <c>SANDBOX86_URL</c> / <c>SANDBOX86_API_KEY</c>), or else the local one, started on first use.
/// </summary>
internal static class ServerFlags
{
    public const string UrlVariable = "SANDBOX86_URL";
    public const string ApiKeyVariable = "SANDBOX86_API_KEY";

    private static readonly Option<string?> Url = new("--url") { Description = $"Server URL (default: ${UrlVariable}, else the local server, started on first use)" };
    private static readonly Option<string?> ApiKey = new("--api-key") { Description = $"API key (default: ${ApiKeyVariable})" };

    public static void AddTo(Command command)
    {
        command.Options.Add(Url);
        command.Options.Add(ApiKey);
    }

    /// <summary>A client for the chosen server; the local one is started when nothing answers there.</summary>
    public static async Task<SandboxClient> ConnectAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var key = parse.GetValue(ApiKey) ?? NonEmpty(Environment.GetEnvironmentVariable(ApiKeyVariable));
        var url = parse.GetValue(Url) ?? NonEmpty(Environment.GetEnvironmentVariable(UrlVariable));
        Uri baseUrl;
        if (url is null)
        {
            baseUrl = await LocalServer.EnsureRunningAsync(cancellationToken);
        }
        else if (!Uri.TryCreate(url, UriKind.Absolute, out baseUrl!) || baseUrl.Scheme is not ("http" or "https"))
        {
            throw new UsageException($"--url / {UrlVariable} must be an http(s) URL, got '{url}'");
        }

        return new SandboxClient(new SandboxClientOptions { BaseUrl = baseUrl, ApiKey = key });
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
