using System.Globalization;

namespace Sandbox86.Bench.Idle;

/// <summary>A process's CPU time (user + system) from <c>/proc/PID/stat</c>.</summary>
internal static class WorkerCpu
{
    // USER_HZ is 100 on every Linux ABI .NET runs on (sysconf(_SC_CLK_TCK)).
    private const double TicksPerSecond = 100;

    public static TimeSpan Read(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name is in parentheses and may hold spaces: fields count from the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields 14 (utime) and 15 (stime) of stat(5); fields[0] here is field 3.
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    /// <summary>The share of one core the process used over <paramref name="window"/>, in percent.</summary>
    public static async Task<double> PercentOfCoreAsync(int pid, TimeSpan window)
    {
        var before = Read(pid);
        await Task.Delay(window);
        return (Read(pid) - before) / window * 100;
    }
}
