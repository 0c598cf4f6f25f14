using System.Diagnostics;
using Sandbox86.Web;

namespace Sandbox86.WebTests.Infrastructure;

/// <summary>
/// A site prepared from the default image into a sub-path (<c>ROOT/some/dir/</c>) of a plain static server, and
/// one browser page on it that has reached its shell prompt. One per test class (restoring in a browser is the
/// expensive part); the class's tests share it.
/// </summary>
internal sealed class SiteSession : IAsyncDisposable
{
    public const string SubPath = "some/dir";

    private SiteSession(string root, WebSiteResult site, TimeSpan prepareTime, StaticServer server, SitePage page)
    {
        Root = root;
        Site = site;
        PrepareTime = prepareTime;
        Server = server;
        Page = page;
    }

    public string Root { get; }
    public WebSiteResult Site { get; }
    public TimeSpan PrepareTime { get; }
    public StaticServer Server { get; }
    public SitePage Page { get; }
    public string Url => $"http://127.0.0.1:{Server.Port}/{SubPath}/";

    public static async Task<SiteSession> StartAsync(WebSiteOptions options)
    {
        var root = Path.Combine(Path.GetTempPath(), "sandbox86-web-" + Guid.NewGuid().ToString("N")[..8]);
        StaticServer? server = null;
        try
        {
            var clock = Stopwatch.StartNew();
            var site = await WebSite.PrepareAsync(DefaultImage.Open(), Path.Combine(root, SubPath), options, CancellationToken.None);
            var prepareTime = clock.Elapsed;
            server = await StaticServer.StartAsync(root);
            var page = await SitePage.OpenAsync($"http://127.0.0.1:{server.Port}/{SubPath}/", TimeSpan.FromMinutes(2));
            return new SiteSession(root, site, prepareTime, server, page);
        }
        catch
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }

            DeleteQuietly(root);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Page.DisposeAsync();
        await Server.DisposeAsync();
        DeleteQuietly(Root);
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
