using System.Diagnostics;
using Sandbox86.Util;

namespace Sandbox86.ServerTests.Verbs;

/// <summary>Runs the real <c>sandbox86</c> CLI (its built dll) as a process, with stdout and stderr kept apart as bytes.</summary>
internal static class VerbCli
{
    public sealed record Result(int ExitCode, byte[] StdoutBytes, string Stderr, TimeSpan Elapsed)
    {
        public string Stdout => System.Text.Encoding.UTF8.GetString(StdoutBytes);
    }

    public static string Dll => Path.Combine(SandboxPaths.RepoRoot, "src", "Sandbox86.Cli", "bin", "Release", "net10.0", "Sandbox86.Cli.dll");

    /// <summary>Runs one verb; <paramref name="environment"/> values of null remove a variable (e.g. SANDBOX86_URL).</summary>
    public static async Task<Result> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string?> environment, byte[]? stdin = null, TimeSpan? timeout = null)
    {
        Assert.True(File.Exists(Dll), $"the CLI is not built at {Dll} (dotnet build -c Release)");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Dll);
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["SANDBOX86_ROOT"] = SandboxPaths.RepoRoot;
        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                psi.Environment.Remove(key);
            }
            else
            {
                psi.Environment[key] = value;
            }
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start the CLI");
        using var stdout = new MemoryStream();
        var readOut = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var readErr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            try
            {
                await process.StandardInput.BaseStream.WriteAsync(stdin);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The CLI exited without reading all of it (exec without -i never reads stdin).
            }
        }
        else
        {
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
            throw new TimeoutException($"sandbox86 {string.Join(' ', args)} did not finish in time; stderr: {await readErr}");
        }

        await readOut;
        return new Result(process.ExitCode, stdout.ToArray(), await readErr, clock.Elapsed);
    }
}
