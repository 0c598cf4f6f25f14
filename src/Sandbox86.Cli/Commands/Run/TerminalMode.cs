using System.Diagnostics;
using Sandbox86.Guest;

namespace Sandbox86.Cli.Commands.Run;

/// <summary>Puts the host terminal in raw mode for <c>-t</c> and restores it afterwards.</summary>
internal sealed class TerminalMode : IDisposable
{
    private readonly string? _saved;

    private TerminalMode(string? saved) => _saved = saved;

    public static PtySize CurrentSize()
    {
        try
        {
            // Some terminals (and `script`) report 0x0; a real size is at least a few cells.
            if (!Console.IsOutputRedirected && Console.WindowHeight >= 2 && Console.WindowWidth >= 10)
            {
                return new PtySize(Console.WindowHeight, Console.WindowWidth);
            }
        }
        catch (IOException)
        {
        }

        return new PtySize(24, 80);
    }

    /// <summary>Raw mode only when stdin is a terminal; otherwise nothing to do.</summary>
    public static TerminalMode EnterRaw()
    {
        if (Console.IsInputRedirected)
        {
            return new TerminalMode(null);
        }

        var saved = Stty("-g");
        Stty("raw -echo");
        return new TerminalMode(saved?.Trim());
    }

    private static string? Stty(string args)
    {
        try
        {
            var psi = new ProcessStartInfo("sh", ["-c", $"stty {args} < /dev/tty"]) { RedirectStandardOutput = true, UseShellExecute = false };
            using var process = Process.Start(psi);
            if (process is null)
            {
                return null;
            }

            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    public void Dispose()
    {
        if (_saved is not null)
        {
            Stty(_saved);
        }
    }
}
