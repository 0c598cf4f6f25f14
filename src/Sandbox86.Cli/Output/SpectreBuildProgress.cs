using Sandbox86.Images.Build;
using Spectre.Console;

namespace Sandbox86.Cli.Output;

/// <summary>Build progress for humans: one line per phase with its duration, details dimmed.</summary>
internal sealed class SpectreBuildProgress : IBuildProgress
{
    private readonly IAnsiConsole _console;
    private readonly System.Diagnostics.Stopwatch _phaseClock = new();
    private string? _phase;

    public SpectreBuildProgress(IAnsiConsole console) => _console = console;

    public void Phase(string name)
    {
        EndPhase();
        _phase = name;
        _phaseClock.Restart();
        _console.MarkupLine($"[bold blue]>[/] {Markup.Escape(name)}");
    }

    public void Detail(string message) => _console.MarkupLine($"  [grey]{Markup.Escape(message)}[/]");

    public void Warning(string message) => _console.MarkupLine($"  [yellow]warning:[/] {Markup.Escape(message)}");

    public void EndPhase()
    {
        if (_phase is not null)
        {
            _console.MarkupLine($"  [green]done[/] [grey]{_phase} in {_phaseClock.Elapsed.TotalSeconds:0.0}s[/]");
            _phase = null;
        }
    }
}

/// <summary>Build progress for machines: JSON lines on stderr, leaving stdout for the result.</summary>
internal sealed class JsonLinesBuildProgress : IBuildProgress
{
    public void Phase(string name) => Write("phase", name);

    public void Detail(string message) => Write("detail", message);

    public void Warning(string message) => Write("warning", message);

    private static void Write(string kind, string text) =>
        Console.Error.WriteLine(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["event"] = kind, ["message"] = text }, Options));

    private static readonly System.Text.Json.JsonSerializerOptions Options = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
