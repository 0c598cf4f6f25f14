using Sandbox86.Cli;
using Sandbox86.Cli.Output;
using Sandbox86.Guest;
using Sandbox86.Images;
using Sandbox86.Images.Store;
using Sandbox86.Machines;
using Sandbox86.Machines.Worker;

namespace Sandbox86.Tests.Cli;

/// <summary>Every failure of the CLI is one line on stderr and exit 125; stack traces only when debugging.</summary>
[Collection(ConsoleTests.Name)]
public sealed class CliErrorTests
{
    [Fact]
    public void Every_feature_exception_derives_from_the_one_library_base()
    {
        Assert.All<Exception>(
            [new ImageException("x"), new ImageStoreException("x"), new MachineException("x"), new WorkerException("x"), new AgentException("x")],
            e => Assert.IsAssignableFrom<Sandbox86Exception>(e));
        Assert.True(typeof(Sandbox86Exception).IsPublic && typeof(Sandbox86Exception).IsAbstract);
    }

    [Fact]
    public void Library_errors_are_recognised_by_type_not_by_name()
    {
        Assert.True(CliError.IsUserFacing(new MachineException("m")));
        Assert.True(CliError.IsUserFacing(new AgentException("a")));
        // A foreign type that happens to share the name is not ours.
        Assert.False(CliError.IsUserFacing(new LookAlike.AgentException()));
        Assert.False(CliError.IsUserFacing(new InvalidOperationException("bug")));
    }

    [Fact]
    public async Task An_unexpected_exception_is_one_line_and_exit_125_without_a_stack_trace()
    {
        var (code, stderr) = await CaptureAsync(debug: false, () => CliError.GuardAsync(() => Throw(new InvalidOperationException("state was\nnot ready"))));

        Assert.Equal(125, code);
        var line = Assert.Single(Lines(stderr));
        Assert.StartsWith("sandbox86: internal error (InvalidOperationException): state was | not ready", line, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Debug_adds_the_stack_trace()
    {
        var (code, stderr) = await CaptureAsync(debug: true, () => CliError.GuardAsync(() => Throw(new InvalidOperationException("boom"))));

        Assert.Equal(125, code);
        Assert.True(Lines(stderr).Length > 2, stderr);
        Assert.Contains(nameof(Throw), stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_library_error_prints_its_message_alone()
    {
        var (code, stderr) = await CaptureAsync(debug: false, () => CliError.GuardAsync(() => Throw(new ImageStoreException("unknown image 'x'"))));

        Assert.Equal(125, code);
        Assert.Equal("sandbox86: error: unknown image 'x'", Assert.Single(Lines(stderr)));
    }

    [Fact]
    public async Task The_debug_flag_is_global_and_turns_traces_on()
    {
        var (code, stderr) = await CaptureAsync(debug: false, () => CliApp.RunAsync(["image", "inspect", "--debug", "-q"]));

        Assert.Equal(125, code);
        Assert.Contains("unknown option '-q'", stderr, StringComparison.Ordinal);
        Assert.Contains("UsageException", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "run", "-Q", "X", "--", "sh" }, "-Q")]
    [InlineData(new[] { "run", "--bogus", "--", "true" }, "--bogus")]
    [InlineData(new[] { "run", "-x" }, "-x")]
    [InlineData(new[] { "image", "inspect", "-q" }, "-q")]
    public async Task Unknown_options_before_the_command_are_usage_errors_naming_the_option(string[] args, string option)
    {
        var (code, stderr) = await CaptureAsync(debug: false, () => CliApp.RunAsync(args));

        Assert.Equal(125, code);
        var line = Assert.Single(Lines(stderr));
        Assert.StartsWith($"sandbox86: error: unknown option '{option}'", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Dashes_after_the_double_dash_or_after_the_command_belong_to_the_command()
    {
        Assert.Null(UnknownOption(["run", "--", "-v", "x"]));
        Assert.Null(UnknownOption(["run", "sh", "-c", "true"]));
        Assert.Null(UnknownOption(["run", "--timeout", "5", "--", "ls", "-la"]));
        Assert.Equal("-Q", UnknownOption(["run", "-Q", "--", "ls"]));
    }

    private static string? UnknownOption(string[] args)
    {
        var root = new System.CommandLine.RootCommand { Sandbox86.Cli.Commands.Run.RunCommand.Create() };
        return CliError.UnknownOptionBeforeArguments(root.Parse(args));
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static async Task<int> Throw(Exception e)
    {
        await Task.Yield();
        throw e;
    }

    private static async Task<(int Code, string Stderr)> CaptureAsync(bool debug, Func<Task<int>> action)
    {
        var error = new StringWriter();
        var original = Console.Error;
        var debugBefore = CliError.Debug;
        Console.SetError(error);
        CliError.Debug = debug;
        try
        {
            return (await action(), error.ToString());
        }
        finally
        {
            Console.SetError(original);
            CliError.Debug = debugBefore;
        }
    }

    private static class LookAlike
    {
#pragma warning disable CA1032, CA1064 // deliberately a look-alike of the library's type name
        public sealed class AgentException : Exception;
#pragma warning restore CA1032, CA1064
    }
}
