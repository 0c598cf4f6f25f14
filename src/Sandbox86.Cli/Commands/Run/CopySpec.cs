using Sandbox86.Cli.Output;

namespace Sandbox86.Cli.Commands.Run;

/// <summary>A <c>--copy-in HOST:GUEST</c> or <c>--copy-out GUEST:HOST</c> pair, split on the first ':'.</summary>
internal sealed record CopySpec(string From, string To)
{
    public static CopySpec Parse(string value, string flag)
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == value.Length - 1)
        {
            throw new UsageException($"{flag} {value}: expected {(flag == "--copy-in" ? "HOST:GUEST" : "GUEST:HOST")}");
        }

        return new CopySpec(value[..colon], value[(colon + 1)..]);
    }

    /// <summary>HOST:GUEST as the library's copy.</summary>
    public Sandbox86.Sandboxes.FileCopy AsCopyIn() => new(From, To);

    /// <summary>GUEST:HOST as the library's copy.</summary>
    public Sandbox86.Sandboxes.FileCopy AsCopyOut() => new(To, From);
}
