using System.Diagnostics;

namespace Sandbox86.Util;

/// <summary>
/// Start-latency tracing: with <c>SANDBOX86_TRACE=1</c>, each phase of a machine start is printed to
/// stderr with milliseconds since process start. Costs nothing when off.
/// </summary>
internal static class PhaseTrace
{
    private static readonly bool Enabled = Environment.GetEnvironmentVariable("SANDBOX86_TRACE") == "1";

    public static void Mark(string phase)
    {
        if (Enabled)
        {
            var sinceStart = DateTime.Now - Process.GetCurrentProcess().StartTime;
            Console.Error.WriteLine($"[trace {sinceStart.TotalMilliseconds,7:0} ms] {phase}");
        }
    }
}
