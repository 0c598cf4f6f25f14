using System.Diagnostics;
using Sandbox86.Images.Build;

namespace Sandbox86.Tests.Images.Build;

public sealed class LoginShellTests
{
    /// <summary>
    /// Sources the lean files in a bash whose PATH finds no programs at all: any subprocess they tried
    /// to start (id, mesg, tty) would fail with "command not found" on stderr.
    /// </summary>
    private static (string Stdout, string Stderr) SourceWithoutPrograms(string file, string script)
    {
        var dir = Directory.CreateTempSubdirectory("sandbox86-profile-");
        try
        {
            var path = Path.Combine(dir.FullName, "profile");
            File.WriteAllText(path, file);
            var psi = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
            psi.ArgumentList.Add("--noprofile");
            psi.ArgumentList.Add("--norc");
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add($"PATH=/nonexistent; HOME={dir.FullName}; . {path}; {script}");
            using var bash = Process.Start(psi)!;
            bash.StandardInput.Close();
            var stdout = bash.StandardOutput.ReadToEnd();
            var stderr = bash.StandardError.ReadToEnd();
            bash.WaitForExit();
            return (stdout, stderr);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_profile_sets_debians_path_for_the_effective_user_without_starting_any_program()
    {
        var (stdout, stderr) = SourceWithoutPrograms(LoginShell.Profile, "echo \"$PATH\"");
        Assert.Equal("", stderr);
        var expected = Environment.UserName == "root"
            ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"
            : "/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games\n";
        Assert.Equal(expected, stdout);
        Assert.DoesNotContain("__uid", SourceWithoutPrograms(LoginShell.Profile, "set").Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Roots_profile_runs_mesg_only_on_a_terminal()
    {
        var (_, stderr) = SourceWithoutPrograms(LoginShell.RootProfile, "true");
        Assert.Equal("", stderr);
        Assert.Contains("mesg n", LoginShell.RootProfile, StringComparison.Ordinal);
    }
}
