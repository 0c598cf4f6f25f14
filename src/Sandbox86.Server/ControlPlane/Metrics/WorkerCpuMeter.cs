using System.Globalization;

namespace Sandbox86.Server.ControlPlane.Metrics;

/// <summary>
/// CPU use of a sandbox's worker process (the Node process running v86: guest CPU is its CPU), from
/// <c>/proc/PID/stat</c>. Each reading covers the time since the previous one; the first covers the
/// worker's whole life. One per running sandbox (a resumed sandbox has a new worker).
/// </summary>
internal sealed class WorkerCpuMeter(int processId) : IAsyncDisposable
{
    /// <summary>USER_HZ: the unit of /proc's tick counts, 100 on every Linux ABI (proc(5)).</summary>
    private const double TicksPerSecond = 100;

    private readonly Lock _lock = new();
    private double _lastCpuSeconds;
    private double _lastUptimeSeconds = double.NaN;

    /// <summary>Percent of one CPU used since the last reading (may exceed 100 when Node's helper threads work too); null when the process is gone.</summary>
    public double? Sample()
    {
        var stat = ReadStat(processId);
        var uptime = ReadUptime();
        if (stat is not { } s || uptime is not { } now)
        {
            return null;
        }

        lock (_lock)
        {
            var (sinceCpu, sinceTime) = double.IsNaN(_lastUptimeSeconds) ? (0, s.StartSeconds) : (_lastCpuSeconds, _lastUptimeSeconds);
            _lastCpuSeconds = s.CpuSeconds;
            _lastUptimeSeconds = now;
            var wall = now - sinceTime;
            return wall <= 0 ? 0 : Math.Max(0, (s.CpuSeconds - sinceCpu) / wall * 100);
        }
    }

    /// <summary>utime+stime and the start time (seconds since boot) of a process; null when it is gone.</summary>
    internal static (double CpuSeconds, double StartSeconds)? ReadStat(int processId)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{processId}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return ParseStat(text);
    }

    /// <summary>Parses proc(5)'s stat line; the command name (field 2) may hold spaces and parentheses, so fields count from its last ')'.</summary>
    internal static (double CpuSeconds, double StartSeconds)? ParseStat(string text)
    {
        var close = text.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        // After ")": field 3 (state) is index 0, so utime (14) is 11, stime (15) 12, starttime (22) 19.
        var fields = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 20
            || !ulong.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out var utime)
            || !ulong.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out var stime)
            || !ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            return null;
        }

        return ((utime + stime) / TicksPerSecond, start / TicksPerSecond);
    }

    private static double? ReadUptime()
    {
        try
        {
            var first = File.ReadAllText("/proc/uptime").Split(' ')[0];
            return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) ? seconds : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
