using System.CommandLine;
using System.Globalization;
using Sandbox86.Client;

namespace Sandbox86.Cli.Commands.Sandboxes;

/// <summary><c>sandbox86 ps [-a] [--json]</c>: the server's sandboxes (running ones; with <c>-a</c> also paused).</summary>
internal static class PsCommand
{
    private static readonly Option<bool> AllOption = new("--all", "-a") { Description = "Also paused sandboxes" };
    private static readonly Option<bool> JsonOption = SharedOptions.Json();
    private static readonly string[] Header = ["SANDBOX ID", "NAME", "IMAGE", "STATE", "CREATED", "ENDS"];

    public static Command Create()
    {
        var command = new Command("ps", "List sandboxes, like 'docker ps'") { AllOption, JsonOption };
        ServerFlags.AddTo(command);
        command.SetAction((parse, ct) => VerbErrors.GuardAsync(() => RunAsync(parse, ct)));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        using var client = await ServerFlags.ConnectAsync(parse, cancellationToken);
        var all = await client.ListAsync(parse.GetValue(AllOption), null, cancellationToken);
        Console.Write(parse.GetValue(JsonOption) ? SandboxJson.Format(all) + "\n" : Table(all, DateTimeOffset.UtcNow));
        return 0;
    }

    internal static string Table(IReadOnlyList<SandboxInfo> all, DateTimeOffset now)
    {
        var rows = new List<string[]> { Header };
        rows.AddRange(all.Select(s => new[]
        {
            s.SandboxId, s.Name ?? "", s.TemplateId, s.State,
            s.StartedAt is { } t ? Ago(now - t) : "", s.EndAt is { } e ? In(e - now) : "",
        }));
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        return string.Concat(rows.Select(r => string.Join("   ", r.Select((cell, c) => c == r.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd() + "\n"));
    }

    private static string Ago(TimeSpan t) => Human(t) + " ago";

    private static string In(TimeSpan t) => t <= TimeSpan.Zero ? "now" : "in " + Human(t);

    private static string Human(TimeSpan t) =>
        t.TotalSeconds < 60 ? string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, (int)t.TotalSeconds)}s")
        : t.TotalMinutes < 60 ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalMinutes}m")
        : t.TotalHours < 48 ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}h")
        : string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalDays}d");
}
