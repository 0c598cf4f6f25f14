using Sandbox86.Cli.Commands.Run;
using Sandbox86.Machines;

namespace Sandbox86.Cli.Commands.Boot;

/// <summary>Bridges our terminal to the guest's ttyS0 until EOF on stdin or Ctrl+] (0x1d).</summary>
internal static class SerialConsole
{
    private const byte EscapeByte = 0x1d;

    private static readonly Stream Stdout = Console.OpenStandardOutput();

    /// <summary>Writes guest console bytes to our stdout as they come.</summary>
    public static void Print(ReadOnlyMemory<byte> bytes)
    {
        lock (Stdout)
        {
            Stdout.Write(bytes.Span);
            Stdout.Flush();
        }
    }

    /// <summary>Sends our stdin to ttyS0 (output is already wired through <see cref="Print"/>).</summary>
    public static async Task AttachAsync(Machine machine, CancellationToken cancellationToken)
    {
        Console.Error.WriteLine("sandbox86: attached to ttyS0; Ctrl+] detaches");
        using var terminal = TerminalMode.EnterRaw();
        var stdin = Console.OpenStandardInput();
        var buffer = new byte[4096];
        var input = Task.Run(async () =>
        {
            while (true)
            {
                var n = await stdin.ReadAsync(buffer, cancellationToken);
                if (n == 0)
                {
                    return;
                }

                var escape = Array.IndexOf(buffer, EscapeByte, 0, n);
                await machine.SendSerialAsync(buffer.AsMemory(0, escape < 0 ? n : escape), cancellationToken);
                if (escape >= 0)
                {
                    return;
                }
            }
        }, cancellationToken);
        await Task.WhenAny(input, machine.Exited);
    }
}
