using System.Globalization;

namespace Sandbox86.Server.ControlPlane.Metrics;

/// <summary>The guest's own view of its root filesystem (statfs of <c>/</c>, the 9p tree), in bytes.</summary>
internal readonly record struct GuestDisk(long Used, long Total)
{
    /// <summary>What the agent runs: <c>stat -f</c> prints statfs's block size, total and free blocks.</summary>
    public static readonly IReadOnlyList<string> StatfsArgv = ["stat", "-f", "-c", "%S %b %f", "/"];

    /// <summary>Parses "BLOCKSIZE TOTAL FREE"; anything else (a hostile or broken guest) is no figure.</summary>
    public static GuestDisk? Parse(string output)
    {
        var parts = output.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3 ||
            !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var blockSize) ||
            !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var blocks) ||
            !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var free) ||
            blockSize is < 1 or > 1 << 20 || free > blocks || blocks > long.MaxValue / blockSize)
        {
            return null;
        }

        return new GuestDisk((blocks - free) * blockSize, blocks * blockSize);
    }
}
