using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace Sandbox86.Cli.Output;

/// <summary>
/// Turns every failure into one line on stderr and an exit code: the library's own errors
/// (<see cref="Sandbox86Exception"/>) and usage errors as they are, anything else as an internal
/// error. The stack trace is printed only with <c>--debug</c> or <c>SANDBOX86_DEBUG=1</c>.
/// </summary>
internal static partial class CliError
{
    /// <summary>Exit code for errors of sandbox86 itself (docker uses 125 for the same).</summary>
    public const int ToolError = 125;

    /// <summary>The global flag that adds stack traces to errors.</summary>
    public static readonly Option<bool> DebugOption = new("--debug")
    {
        Description = "Print stack traces with errors (also SANDBOX86_DEBUG=1)",
        Recursive = true,
    };

    /// <summary>Set by <see cref="CliApp"/> from <see cref="DebugOption"/> before a command runs.</summary>
    public static bool Debug { get; set; } = DebugFromEnvironment();

    public static async Task<int> GuardAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e)
        {
            return Report(e);
        }
    }

    /// <summary>Writes the one line (and, when debugging, the stack trace) and returns the exit code.</summary>
    public static int Report(Exception e)
    {
        if (e is OperationCanceledException)
        {
            Console.Error.WriteLine("sandbox86: cancelled");
            return 130;
        }

        Console.Error.WriteLine(IsUserFacing(e)
            ? $"sandbox86: error: {OneLine(e.Message)}"
            : $"sandbox86: internal error ({e.GetType().Name}): {OneLine(e.Message)}{(Debug ? "" : " (--debug prints the stack trace)")}");
        if (Debug)
        {
            Console.Error.WriteLine(e.ToString());
        }

        return ToolError;
    }

    /// <summary>The errors whose message is written for the user: the library's own, and bad flags.</summary>
    public static bool IsUserFacing(Exception e) => e is Sandbox86Exception or UsageException or TimeoutException;

    /// <summary>
    /// The first token of a command's arguments when it looks like an option: before <c>--</c>, an
    /// option the command does not know must not become the command to run (<c>run -v X -- sh</c>).
    /// </summary>
    public static string? UnknownOptionBeforeArguments(ParseResult parse)
    {
        var positional = parse.CommandResult.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens).ToList();
        foreach (var token in parse.Tokens)
        {
            if (token.Type == TokenType.DoubleDash)
            {
                return null;
            }

            if (positional.Exists(p => ReferenceEquals(p, token)))
            {
                return token.Value.Length > 1 && token.Value[0] == '-' && !double.TryParse(token.Value, System.Globalization.CultureInfo.InvariantCulture, out _)
                    ? token.Value
                    : null;
            }
        }

        return null;
    }

    private static string OneLine(string message) => NewLines().Replace(message.Trim(), " | ");

    private static bool DebugFromEnvironment() =>
        Environment.GetEnvironmentVariable("SANDBOX86_DEBUG") is "1" or "true";

    [GeneratedRegex(@"\s*\r?\n\s*")]
    private static partial Regex NewLines();
}
