using Sandbox86.Runtime;

namespace Sandbox86.Web;

/// <summary>
/// The files a site takes from the tool itself, as (source, path in the site): the page, xterm.js and its fit
/// addon from the pinned npm packages in <see cref="RuntimeAssets.WebDirectory"/>, and libv86 with its wasm from
/// the worker's pinned npm v86. Copied as they are, licences included: nothing is fetched from elsewhere.
/// </summary>
internal static class WebAssetFiles
{
    public static IReadOnlyList<(string Source, string Target)> Resolve(RuntimeAssets assets)
    {
        var web = assets.WebDirectory
            ?? throw new WebSiteException($"these runtime assets ({assets.Origin}) carry no web page");
        var xterm = Path.Combine(web, "node_modules", "@xterm", "xterm");
        var fit = Path.Combine(web, "node_modules", "@xterm", "addon-fit");
        var v86 = Path.Combine(Path.GetDirectoryName(assets.WorkerScript)!, "node_modules", "v86");
        List<(string, string)> files =
        [
            (Path.Combine(web, "index.html"), "index.html"),
            (Path.Combine(web, "sandbox86.js"), "sandbox86.js"),
            (Path.Combine(web, "sandbox86.css"), "sandbox86.css"),
            (Path.Combine(xterm, "lib", "xterm.mjs"), "xterm/xterm.mjs"),
            (Path.Combine(xterm, "css", "xterm.css"), "xterm/xterm.css"),
            (Path.Combine(xterm, "LICENSE"), "xterm/LICENSE"),
            (Path.Combine(fit, "lib", "addon-fit.mjs"), "xterm/addon-fit.mjs"),
            (Path.Combine(fit, "LICENSE"), "xterm/LICENSE-addon-fit"),
            (Path.Combine(v86, "build", "libv86.mjs"), "v86/libv86.mjs"),
            (Path.Combine(v86, "build", "v86.wasm"), "v86/v86.wasm"),
            (Path.Combine(v86, "LICENSE"), "v86/LICENSE"),
        ];
        foreach (var (source, _) in files)
        {
            if (!File.Exists(source))
            {
                throw new WebSiteException(source.Contains("node_modules", StringComparison.Ordinal)
                    ? $"{source} is missing: run 'npm ci' in {Path.GetDirectoryName(source[..source.IndexOf("node_modules", StringComparison.Ordinal)])}"
                    : $"{source} is missing ({assets.Origin})");
            }
        }

        return files;
    }
}
