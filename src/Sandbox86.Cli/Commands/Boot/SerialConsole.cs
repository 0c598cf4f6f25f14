using Sandbox86.Cli.Commands.Run;
using Sandbox86.Machines;

namespace Sandbox86.Cli.Commands.Boot;

/// <summary>Bridges our terminal to the guest's ttyS0 until EOF on stdin or Ctrl+] (0x1d).</summary>
internal static class SerialConsole
{
    private const byte EscapeByte = 0x1d;

    public static async Task AttachAsync(Machine machine, CancellationToken cancellationToken)
    {
        var stdout = Console.OpenStandardOutput();
        void Print(ReadOnlyMemory<byte> bytes)
        {
            lock (stdout)
            {
                stdout.Write(bytes.Span);
                stdout.Flush();
            }
        }

        machine.SerialReceived += Print;
        Console.Error.WriteLine("sandbox86: attached to ttyS0; Ctrl+] detaches");
        using var terminal = TerminalMode.EnterRaw();
        try
        {
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
        finally
        {
            machine.SerialReceived -= Print;
        }
    }
}
