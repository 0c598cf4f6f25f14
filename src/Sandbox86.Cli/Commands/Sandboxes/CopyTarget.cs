using Sandbox86.Cli.Output;

namespace Sandbox86.Cli.Commands.Sandboxes;

/// <summary>One side of <c>sandbox86 cp</c>: <c>ID|NAME:PATH</c> in a sandbox, or a host path (docker cp's syntax).</summary>
internal sealed record CopyTarget(string? Sandbox, string Path)
{
    public bool InSandbox => Sandbox is not null;

    /// <summary>
    /// <c>X:PATH</c> is a sandbox path when X is a plausible id or name (no '/'); a host path with a colon can
    /// be written <c>./a:b</c>, as with docker.
    /// </summary>
    public static CopyTarget Parse(string text)
    {
        if (text.Length == 0)
        {
            throw new UsageException("cp: empty path");
        }

        var colon = text.IndexOf(':');
        if (colon > 0 && !text[..colon].Contains('/', StringComparison.Ordinal) && !text.StartsWith('.'))
        {
            var path = text[(colon + 1)..];
            if (path.Length == 0)
            {
                throw new UsageException($"cp: '{text}' has no path after the colon");
            }

            return new CopyTarget(text[..colon], path);
        }

        return new CopyTarget(null, text);
    }

    /// <summary>Exactly one side must be in a sandbox.</summary>
    public static (CopyTarget Source, CopyTarget Destination) ParsePair(string source, string destination)
    {
        var s = Parse(source);
        var d = Parse(destination);
        if (s.InSandbox == d.InSandbox)
        {
            throw new UsageException(s.InSandbox
                ? "cp: copying between two sandboxes is not supported; copy through the host"
                : "cp: one side must be a sandbox path, ID:PATH or NAME:PATH");
        }

        return (s, d);
    }
}
