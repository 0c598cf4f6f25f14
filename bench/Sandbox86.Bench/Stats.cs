namespace Sandbox86.Bench;

internal static class Stats
{
    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    public static string Describe(string what, IReadOnlyList<double> values, string unit) =>
        $"{what}: median {Median(values):0.0} {unit} (min {values.Min():0.0}, max {values.Max():0.0}, n={values.Count})";

    /// <summary>The p-th percentile (0-100), nearest rank.</summary>
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        var sorted = values.Order().ToList();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    /// <summary>Median and p95, for the serve suites.</summary>
    public static string DescribeP95(string what, IReadOnlyList<double> values, string unit) =>
        $"{what}: median {Median(values):0.0} {unit}, p95 {Percentile(values, 95):0.0} (min {values.Min():0.0}, max {values.Max():0.0}, n={values.Count})";

    /// <summary>The 1, 5 and 15 minute load averages: the machine is shared, so every figure carries them.</summary>
    public static string LoadAverage()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return string.Join(" ", parts.Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    public static string Machine() =>
        $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";
}
