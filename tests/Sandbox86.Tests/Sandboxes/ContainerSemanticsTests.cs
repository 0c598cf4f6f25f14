using Sandbox86.Guest;
using Sandbox86.Images.Store;
using Sandbox86.Sandboxes;

namespace Sandbox86.Tests.Sandboxes;

public sealed class ContainerSemanticsTests
{
    private static readonly ImageRunConfig Oci = new()
    {
        Env = ["PATH=/opt/bin", "FROM_IMAGE=1", "garbage-without-equals"],
        Entrypoint = ["/entry", "--flag"],
        Cmd = ["default-arg"],
        WorkingDir = "/app",
        User = "app",
    };

    [Fact]
    public void Environment_layers_defaults_then_image_then_caller()
    {
        var env = GuestEnvironment.Build(Oci, new Dictionary<string, string> { ["FROM_IMAGE"] = "2", ["EMPTY"] = "" });
        Assert.Equal("/opt/bin", env["PATH"]);
        Assert.Equal("2", env["FROM_IMAGE"]);
        Assert.Equal("", env["EMPTY"]);
        Assert.Equal("/root", env["HOME"]);
        Assert.DoesNotContain("garbage-without-equals", env.Keys);
    }

    [Theory]
    [InlineData("")]
    [InlineData("A=B")]
    [InlineData("NUL\0")]
    public void Caller_variable_names_must_be_names(string name) =>
        Assert.Throws<SandboxRunException>(() => GuestEnvironment.Build(null, new Dictionary<string, string> { [name] = "x" }));

    [Fact]
    public void Arguments_replace_the_default_command_after_the_entrypoint()
    {
        Assert.Equal(["/entry", "--flag", "default-arg"], ContainerSemantics.ArgvOf("img", Oci, []));
        Assert.Equal(["/entry", "--flag", "mine"], ContainerSemantics.ArgvOf("img", Oci, ["mine"]));
        Assert.Equal(["echo", "hi"], ContainerSemantics.ArgvOf("img", null, ["echo", "hi"]));
        Assert.Contains("no default command", Assert.Throws<SandboxRunException>(() => ContainerSemantics.ArgvOf("img", null, [])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_image_user_and_workdir_apply_unless_the_spec_names_its_own()
    {
        var fromImage = ContainerSemantics.ToExecRequest("img", Oci, new RunSpec());
        Assert.Equal("app", fromImage.User);
        Assert.False(fromImage.Env!.ContainsKey("HOME"), "a named user's HOME comes from its passwd entry (the agent sets it)");
        Assert.Equal("/app", fromImage.WorkingDirectory);
        Assert.True(fromImage.ReplaceEnv);

        var own = ContainerSemantics.ToExecRequest("img", Oci, new RunSpec { User = "root", WorkingDirectory = "/tmp", Pty = new PtySize(24, 80) });
        Assert.Equal("root", own.User);
        Assert.Equal("/tmp", own.WorkingDirectory);
        Assert.True(own.Stdin, "a terminal always has an input side");
    }

    [Theory]
    [InlineData(7, 0, false, 7)]
    [InlineData(0, 9, false, 137)]
    [InlineData(0, 15, false, 143)]
    [InlineData(137, 9, true, 124)]
    public void Exit_codes_follow_the_shell_convention(int code, int signal, bool timedOut, int expected) =>
        Assert.Equal(expected, ExitCodes.Of(new ExecResult { ExitCode = code, Signal = signal, TimedOut = timedOut }));

    [Theory]
    [InlineData("ok", true)]
    [InlineData(".hidden", true)]
    [InlineData("", false)]
    [InlineData(".", false)]
    [InlineData("..", false)]
    [InlineData("a/b", false)]
    [InlineData("nul\0", false)]
    public void Guest_reported_names_are_checked_before_they_become_host_paths(string name, bool safe) =>
        Assert.Equal(safe, GuestFiles.IsSafeName(name));
}
