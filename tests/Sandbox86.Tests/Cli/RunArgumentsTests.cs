using Sandbox86.Cli;
using Sandbox86.Cli.Output;
using Sandbox86.Cli.Commands.Run;
using Sandbox86.Guest;
using Sandbox86.Images.Store;

namespace Sandbox86.Tests.Cli;

[Collection(ConsoleTests.Name)]
public sealed class RunArgumentsTests
{
    [Theory]
    [InlineData("/host/a.txt:/guest/a.txt", "/host/a.txt", "/guest/a.txt")]
    [InlineData("rel:/tmp/dir/", "rel", "/tmp/dir/")]
    [InlineData("/a:/b:c", "/a", "/b:c")]
    public void Copy_specs_split_on_the_first_colon(string value, string from, string to) =>
        Assert.Equal(new CopySpec(from, to), CopySpec.Parse(value, "--copy-in"));

    [Theory]
    [InlineData("nocolon")]
    [InlineData(":/guest")]
    [InlineData("/host:")]
    public void Malformed_copy_specs_are_usage_errors(string value) =>
        Assert.Contains("expected HOST:GUEST", Assert.Throws<UsageException>(() => CopySpec.Parse(value, "--copy-in")).Message, StringComparison.Ordinal);

    [Fact]
    public void A_bare_env_name_takes_the_hosts_value_or_is_an_error()
    {
        Assert.Equal(Environment.GetEnvironmentVariable("PATH"), EnvFlags.Parse(["PATH"])["PATH"]);
        Assert.Equal("equals=inside", EnvFlags.Parse(["WITH=equals=inside"])["WITH"]);
        Assert.Throws<UsageException>(() => EnvFlags.Parse(["SANDBOX86_SURELY_UNSET_VARIABLE"]));
        Assert.Throws<UsageException>(() => EnvFlags.Parse(["=x"]));
    }

    [Fact]
    public async Task The_cli_reports_bad_flags_as_one_line_and_exit_125()
    {
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            Assert.Equal(125, await CliApp.RunAsync(["image", "build", "--from-tar", "a", "--from-dir", "b"]));
            Assert.Equal(125, await CliApp.RunAsync(["image", "build", "--memory", "16"]));
            Assert.Equal(125, await CliApp.RunAsync(["relay", "--listen", "0.0.0.0:9"]));
        }
        finally
        {
            Console.SetError(original);
        }

        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Contains("at most one of --from-dir", lines[0], StringComparison.Ordinal);
        Assert.Contains("out of range", lines[1], StringComparison.Ordinal);
        Assert.Contains("needs --token", lines[2], StringComparison.Ordinal);
    }
}
