using System.CommandLine;
using Sandbox86.Machines;

namespace Sandbox86.Cli.Commands.Run;

/// <summary>The flags <c>run</c> and <c>boot</c> share for starting a machine (memory, cold boot, network backend).</summary>
internal static class MachineFlags
{
    private static readonly Option<int?> Memory = SharedOptions.Memory();

    private static readonly Option<bool> Cold = new("--cold")
    {
        Description = "Boot from scratch instead of restoring the boot snapshot (and don't make one)",
    };

    public static void AddTo(Command command)
    {
        command.Options.Add(Memory);
        command.Options.Add(Cold);
        NetworkFlags.AddTo(command);
    }

    public static MachineOptions ToOptions(ParseResult parse) => new()
    {
        MemoryMb = parse.GetValue(Memory),
        Cold = parse.GetValue(Cold),
        Logger = Output.StderrLogger.Machine,
        RelayUrl = NetworkFlags.ParseRelayUrl(parse),
    };
}
