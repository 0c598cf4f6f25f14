namespace Sandbox86.Runtime;

/// <summary>The result of <see cref="HostPrerequisites.CheckAsync"/>: what is missing and how to install it.</summary>
public sealed record HostCheck
{
    /// <summary>One line per missing or unusable prerequisite.</summary>
    public required IReadOnlyList<string> Problems { get; init; }

    /// <summary>The Debian packages that provide what is missing.</summary>
    public required IReadOnlyList<string> Packages { get; init; }

    /// <summary>Whether dpkg must first learn the i386 architecture (for the kernel and busybox packages).</summary>
    public bool NeedsI386 { get; init; }

    /// <summary>
    /// Problems that no package here fixes (e.g. a Node.js that is too old, a host without apt); when there
    /// are any, installing <see cref="Packages"/> is not enough.
    /// </summary>
    public IReadOnlyList<string> Unfixable { get; init; } = [];

    /// <summary>True when nothing is missing.</summary>
    public bool IsSatisfied => Problems.Count == 0;

    /// <summary>The one shell line (as root) that installs <see cref="Packages"/>; null when there is nothing to install.</summary>
    public string? InstallCommand =>
        Packages.Count == 0 && !NeedsI386 ? null
        : (NeedsI386 ? "dpkg --add-architecture i386 && " : "") + "apt-get update"
          + (Packages.Count > 0 ? " && apt-get install -y " + string.Join(' ', Packages) : "");

    /// <summary>A message naming what is missing and the exact command that installs it.</summary>
    public string Describe()
    {
        var text = "missing host prerequisites: " + string.Join("; ", Problems);
        if (InstallCommand is { } command)
        {
            text += $". As root run: {command}";
        }

        return text;
    }
}
