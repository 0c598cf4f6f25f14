using System.Globalization;

namespace Sandbox86.Server.ControlPlane.Metrics;

/// <summary>The guest kernel's own memory figures (<c>/proc/meminfo</c>, read through the agent), in bytes.</summary>
internal readonly record struct GuestMemory(long Total, long Used, long Cache)
{
    /// <summary>Parses meminfo: used is MemTotal − MemAvailable (what <c>free</c> calls used), cache is Cached.</summary>
    public static GuestMemory? Parse(string meminfo)
    {
        long? total = null, available = null, cached = null;
        foreach (var line in meminfo.Split('\n'))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }

            var value = line[(colon + 1)..].Trim();
            if (value.EndsWith(" kB", StringComparison.Ordinal))
            {
                value = value[..^3].Trim();
            }

            if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var kb) || kb > long.MaxValue / 1024)
            {
                continue;
            }

            switch (line[..colon])
            {
                case "MemTotal": total = kb * 1024; break;
                case "MemAvailable": available = kb * 1024; break;
                case "Cached": cached = kb * 1024; break;
            }
        }

        return total is { } t && available is { } a && a <= t ? new GuestMemory(t, t - a, cached ?? 0) : null;
    }
}
