using Sandbox86.Runtime;

namespace Sandbox86.Server.Ui;

/// <summary>
/// The files the console at <c>/ui</c> serves, as a fixed map from URL name to file: its page under
/// <c>web/ui/</c> and the pinned npm xterm.js and fit addon under <c>web/node_modules/@xterm/</c>, found through
/// <see cref="RuntimeAssets.WebDirectory"/> exactly as <c>prepare</c> finds them (a checkout, or the tool's package
/// content). A fixed map, not a directory listing: no request path ever reaches the file system.
/// </summary>
internal sealed class UiAssets
{
    private readonly Dictionary<string, (string Path, string ContentType)> _files;

    public UiAssets(RuntimeAssets assets)
    {
        Origin = assets.Origin;
        var web = assets.WebDirectory;
        _files = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        if (web is null)
        {
            return;
        }

        var ui = Path.Combine(web, "ui");
        var xterm = Path.Combine(web, "node_modules", "@xterm", "xterm");
        var fit = Path.Combine(web, "node_modules", "@xterm", "addon-fit");
        _files["index.html"] = (Path.Combine(ui, "index.html"), "text/html; charset=utf-8");
        _files["ui.js"] = (Path.Combine(ui, "ui.js"), "text/javascript; charset=utf-8");
        _files["ui.css"] = (Path.Combine(ui, "ui.css"), "text/css; charset=utf-8");
        _files["xterm/xterm.mjs"] = (Path.Combine(xterm, "lib", "xterm.mjs"), "text/javascript; charset=utf-8");
        _files["xterm/xterm.css"] = (Path.Combine(xterm, "css", "xterm.css"), "text/css; charset=utf-8");
        _files["xterm/addon-fit.mjs"] = (Path.Combine(fit, "lib", "addon-fit.mjs"), "text/javascript; charset=utf-8");
        _files["xterm/LICENSE"] = (Path.Combine(xterm, "LICENSE"), "text/plain; charset=utf-8");
        _files["xterm/LICENSE-addon-fit"] = (Path.Combine(fit, "LICENSE"), "text/plain; charset=utf-8");
    }

    /// <summary>Where the files come from, for the message of a missing one.</summary>
    public string Origin { get; }

    public IEnumerable<string> Names => _files.Keys;

    /// <summary>The file and content type behind <paramref name="name"/>; false for any name not in the map.</summary>
    public bool TryGet(string name, out string path, out string contentType)
    {
        if (_files.TryGetValue(name, out var file))
        {
            (path, contentType) = file;
            return true;
        }

        path = contentType = "";
        return false;
    }
}
