using System.Diagnostics;
using System.Text;
using Sandbox86.Util;

namespace Sandbox86.IntegrationTests.Infrastructure;

/// <summary>Runs the real <c>sandbox86</c> CLI (the built dll) as a separate process, as a user would.</summary>
internal static class CliRunner
{
    public sealed record CliResult(int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed);

    public static string CliDll => Path.Combine(SandboxPaths.RepoRoot, "src", "Sandbox86.Cli", "bin", "Release", "net10.0", "Sandbox86.Cli.dll");

    /// <summary>
    /// Starts the CLI. With <paramref name="defaultSigint"/> it is exec'd through a shim that restores
    /// SIGINT's default disposition: a test run launched in the background inherits SIGINT as ignored,
    /// and a Ctrl+C test needs the CLI to see the signal the way a terminal delivers it.
    /// </summary>
    public static Process Start(IEnumerable<string> args, bool redirectStdin = false, bool defaultSigint = false, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(defaultSigint ? "python3" : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (defaultSigint)
        {
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp('dotnet', ['dotnet'] + sys.argv[1:])");
        }

        psi.ArgumentList.Add(CliDll);
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["SANDBOX86_ROOT"] = SandboxPaths.RepoRoot;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start the CLI");
        if (!redirectStdin)
        {
            process.StandardInput.Close();
        }

        return process;
    }

    public static async Task<CliResult> RunAsync(IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var clock = Stopwatch.StartNew();
        using var process = Start(args, redirectStdin: stdin is not null, environment: environment);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"sandbox86 {string.Join(' ', args)} did not finish in time; stderr: {await stderr}");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr, clock.Elapsed);
    }
}
