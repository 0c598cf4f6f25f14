using System.Diagnostics;
using System.Text;

namespace Sandbox86.Images.Build;

/// <summary>Runs host tools (apt-get, dpkg-deb, debootstrap) and turns failures into clear <see cref="ImageException"/>s.</summary>
internal static class HostCommand
{
    public static async Task<string> RunAsync(string file, IEnumerable<string> args, string? workingDirectory, CancellationToken cancellationToken, Action<string>? onLine = null)
    {
        var argList = args.ToList();
        var result = await RunCapturedAsync(file, argList, workingDirectory, cancellationToken, onLine);
        if (result.ExitCode != 0)
        {
            var tail = string.Join('\n', result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(8));
            throw new ImageException($"{Path.GetFileName(file)} {string.Join(' ', argList.Take(4))} failed (exit {result.ExitCode}):\n{tail}");
        }

        return result.Output;
    }

    /// <summary>Like <see cref="RunAsync"/> but hands back a non-zero exit with the (bounded) output instead of throwing.</summary>
    public static async Task<HostCommandResult> RunCapturedAsync(string file, IEnumerable<string> args, string? workingDirectory, CancellationToken cancellationToken, Action<string>? onLine = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Directory.GetCurrentDirectory(),
        };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        psi.Environment["LC_ALL"] = "C";
        using var process = new Process { StartInfo = psi };
        var output = new StringBuilder();
        void Append(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (output)
            {
                // Bounded: debootstrap is chatty and only the tail matters for an error message.
                if (output.Length > 64 * 1024)
                {
                    output.Remove(0, output.Length - 32 * 1024);
                }

                output.AppendLine(line);
            }

            onLine?.Invoke(line);
        }

        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ImageException($"cannot run {file}: {e.Message} (is it installed? ./sandbox86 installs host packages on first use)");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        string text;
        lock (output)
        {
            text = output.ToString();
        }

        return new HostCommandResult(process.ExitCode, text);
    }

    public static bool IsRoot => Environment.UserName == "root" || geteuid() == 0;

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = false)]
    private static extern uint geteuid();
}
