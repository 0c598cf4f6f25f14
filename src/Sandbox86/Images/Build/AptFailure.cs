using System.Text.RegularExpressions;

namespace Sandbox86.Images.Build;

/// <summary>
/// Turns the output of a failed <c>apt-get install</c> into one message that names the packages at
/// fault and apt's or dpkg's own reason, instead of a generic "exit 100" with a log tail.
/// </summary>
internal static partial class AptFailure
{
    public static string Describe(IReadOnlyList<string> requested, string output, int exitCode)
    {
        var lines = output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var culprits = new List<string>();
        var reasons = new List<string>();
        void Add(string package, string reason)
        {
            if (!culprits.Contains(package, StringComparer.Ordinal))
            {
                culprits.Add(package);
            }

            if (!reasons.Contains(reason, StringComparer.Ordinal))
            {
                reasons.Add(reason);
            }
        }

        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (DpkgProcessing().Match(line) is { Success: true } dpkg)
            {
                // dpkg names the package on one line and gives the reason on the next.
                var why = i + 1 < lines.Length && !lines[i + 1].StartsWith("dpkg:", StringComparison.Ordinal) ? lines[i + 1] : "failed";
                Add(dpkg.Groups["pkg"].Value, $"dpkg: {dpkg.Groups["pkg"].Value}: {why}");
            }
            else if (Unmet().Match(line) is { Success: true } unmet)
            {
                Add(unmet.Groups["pkg"].Value, line);
            }
            else if (line.StartsWith("E: ", StringComparison.Ordinal))
            {
                var named = NamedInError().Match(line);
                // "Sub-process /usr/bin/dpkg returned an error code" only repeats what dpkg said above.
                if (named.Success)
                {
                    Add(named.Groups["pkg"].Value, line[3..]);
                }
                else if (!line.Contains("Sub-process", StringComparison.Ordinal) || reasons.Count == 0)
                {
                    reasons.Add(line[3..]);
                }
            }
        }

        var who = culprits.Count > 0 ? string.Join(", ", culprits) : string.Join(", ", requested);
        var because = reasons.Count > 0
            ? string.Join("; ", reasons)
            : $"apt-get exited with {exitCode}: " + string.Join(" | ", lines.TakeLast(3));
        return $"cannot install Debian package{(culprits.Count == 1 || (culprits.Count == 0 && requested.Count == 1) ? "" : "s")} {who}: {because}";
    }

    [GeneratedRegex(@"^dpkg: (?:error processing package (?<pkg>[^\s:]+)(?::\S+)? \(|dependency problems prevent configuration of (?<pkg>[^\s:]+))")]
    private static partial Regex DpkgProcessing();

    [GeneratedRegex(@"^(?<pkg>[a-z0-9][a-z0-9+.-]*)(?::\S+)? : (?:Pre)?Depends: ")]
    private static partial Regex Unmet();

    [GeneratedRegex(@"^E: (?:Unable to locate package (?<pkg>\S+)|Package '(?<pkg>[^']+)' has no installation candidate|Couldn't find any package by \S+ '(?<pkg>[^']+)')")]
    private static partial Regex NamedInError();
}
