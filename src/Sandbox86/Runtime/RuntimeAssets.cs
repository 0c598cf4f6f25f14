namespace Sandbox86.Runtime;

/// <summary>
/// The files sandbox86 needs at run time besides its assemblies: the Node worker that hosts v86
/// (<c>worker.mjs</c> with the pinned npm <c>v86</c> package beside it) and the static i386 guest agent
/// that image builds install. The NuGet package and the .NET tool carry them as content in a
/// <see cref="ContentDirectoryName"/> directory next to the assembly; a source checkout has them under
/// <c>worker/</c> and <c>agent/</c>, for development only.
/// </summary>
public sealed record RuntimeAssets
{
    /// <summary>The directory next to the assembly that holds the packaged runtime files.</summary>
    public const string ContentDirectoryName = "sandbox86";

    /// <summary>The agent binary's name, in package content and in a checkout's <c>agent/out/</c>.</summary>
    public const string AgentFileName = "sandbox86-agent";

    private static readonly Lazy<RuntimeAssets> DefaultAssets = new(Discover);

    /// <summary>The worker script (<c>worker.mjs</c>); <c>node_modules/v86</c> must sit beside it.</summary>
    public required string WorkerScript { get; init; }

    /// <summary>
    /// The prebuilt static i386 guest agent. In a checkout this is where <c>agent/build.sh</c> writes it
    /// (see <see cref="AgentSourceDirectory"/>).
    /// </summary>
    public required string AgentBinary { get; init; }

    /// <summary>
    /// Development only: a checkout's <c>agent/</c> directory. When set, image builds run its
    /// <c>build.sh</c> (gcc, a no-op when up to date) before taking <see cref="AgentBinary"/>; package
    /// content leaves it null, so nothing is compiled.
    /// </summary>
    public string? AgentSourceDirectory { get; init; }

    /// <summary>
    /// The browser assets of <c>sandbox86 prepare</c>/<c>web</c>: the page (<c>index.html</c>, <c>sandbox86.js</c>,
    /// <c>sandbox86.css</c>) and the pinned npm xterm.js packages under <c>node_modules/@xterm/</c>. Null when
    /// not shipped (the page cannot be built then).
    /// </summary>
    public string? WebDirectory { get; init; }

    /// <summary>The Node.js executable (a path, or a name looked up on PATH).</summary>
    public string NodeExecutable { get; init; } = "node";

    /// <summary>Where these files were found, for messages (e.g. "package content in /opt/x/sandbox86").</summary>
    public string Origin { get; init; } = "custom";

    /// <summary>
    /// Package content next to the assembly when it is there; otherwise (development) the checkout named by
    /// <c>$SANDBOX86_ROOT</c> or the nearest one above the assembly. <c>$SANDBOX86_NODE</c> overrides
    /// <see cref="NodeExecutable"/> and <c>$SANDBOX86_AGENT</c> names a prebuilt agent. Found once per process.
    /// </summary>
    public static RuntimeAssets Default => DefaultAssets.Value;

    /// <summary>The layout the packages ship: <c>worker/worker.mjs</c>, <c>worker/node_modules/v86/…</c>, <c>agent/sandbox86-agent</c>.</summary>
    public static RuntimeAssets FromContentDirectory(string directory)
    {
        var full = Path.GetFullPath(directory);
        return new RuntimeAssets
        {
            WorkerScript = Path.Combine(full, "worker", "worker.mjs"),
            AgentBinary = Path.Combine(full, "agent", AgentFileName),
            WebDirectory = Path.Combine(full, "web"),
            Origin = $"package content in {full}",
        };
    }

    /// <summary>A source checkout (development): the agent is built from <c>agent/</c> with gcc on demand.</summary>
    public static RuntimeAssets FromCheckout(string root)
    {
        var full = Path.GetFullPath(root);
        return new RuntimeAssets
        {
            WorkerScript = Path.Combine(full, "worker", "worker.mjs"),
            AgentBinary = Path.Combine(full, "agent", "out", AgentFileName),
            AgentSourceDirectory = Path.Combine(full, "agent"),
            WebDirectory = Path.Combine(full, "web"),
            Origin = $"checkout {full}",
        };
    }

    private static RuntimeAssets Discover()
    {
        var assets = Discover(ContentCandidates(), Environment.GetEnvironmentVariable("SANDBOX86_ROOT"), AppContext.BaseDirectory);
        if (Environment.GetEnvironmentVariable("SANDBOX86_NODE") is { Length: > 0 } node)
        {
            assets = assets with { NodeExecutable = node };
        }

        if (Environment.GetEnvironmentVariable("SANDBOX86_AGENT") is { Length: > 0 } agent)
        {
            assets = assets with { AgentBinary = Path.GetFullPath(agent), AgentSourceDirectory = null };
        }

        return assets;
    }

    /// <summary>
    /// Package content in the first of <paramref name="contentCandidates"/> that has the worker; only when
    /// none has, the checkout at <paramref name="checkoutRoot"/> or the nearest one at or above
    /// <paramref name="searchStart"/>.
    /// </summary>
    internal static RuntimeAssets Discover(IEnumerable<string> contentCandidates, string? checkoutRoot, string searchStart)
    {
        var candidates = contentCandidates.ToList();
        foreach (var candidate in candidates)
        {
            if (File.Exists(Path.Combine(candidate, "worker", "worker.mjs")))
            {
                return FromContentDirectory(candidate);
            }
        }

        if (!string.IsNullOrWhiteSpace(checkoutRoot))
        {
            return FromCheckout(checkoutRoot);
        }

        for (var dir = new DirectoryInfo(searchStart); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "worker", "worker.mjs")) && File.Exists(Path.Combine(dir.FullName, "agent", "build.sh")))
            {
                return FromCheckout(dir.FullName);
            }
        }

        return MissingContent(candidates[0]);
    }

    // Next to this assembly first (a NuGet consumer's output, the tool's directory), then the app's base
    // directory (single-file hosts, where the assembly has no location).
    private static IEnumerable<string> ContentCandidates()
    {
        var location = typeof(RuntimeAssets).Assembly.Location;
        if (location.Length > 0 && Path.GetDirectoryName(location) is { } assemblyDir)
        {
            yield return Path.Combine(assemblyDir, ContentDirectoryName);
        }

        yield return Path.Combine(AppContext.BaseDirectory, ContentDirectoryName);
    }

    // Neither package content nor a checkout: point at where the content should be, so the first use
    // fails with a message naming that path rather than somewhere under the current directory.
    private static RuntimeAssets MissingContent(string expected) =>
        FromContentDirectory(expected) with { Origin = "package content (missing: reinstall the package, or set SANDBOX86_ROOT to a checkout)" };
}
