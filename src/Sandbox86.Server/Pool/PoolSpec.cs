using System.Globalization;

namespace Sandbox86.Server.Pool;

/// <summary>
/// <c>serve --pool</c>'s value: a bare count for the base template (<c>--pool 2</c>) or per-template
/// counts (<c>--pool base=2,python=1</c>). Templates are named as in a create's <c>templateID</c>.
/// </summary>
public static class PoolSpec
{
    /// <summary>Most machines one template's pool may keep.</summary>
    public const int MaxPerTemplate = 64;

    /// <summary>Parses the option; throws <see cref="FormatException"/> with the reason.</summary>
    public static IReadOnlyDictionary<string, int> Parse(string value)
    {
        var sizes = new Dictionary<string, int>(StringComparer.Ordinal);
        if (int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var bare))
        {
            sizes["base"] = Check(bare, "base");
            return sizes;
        }

        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !int.TryParse(part.AsSpan(eq + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            {
                throw new FormatException($"'{part}' is not TEMPLATE=COUNT");
            }

            var template = part[..eq].Trim();
            if (!sizes.TryAdd(template, Check(size, template)))
            {
                throw new FormatException($"template '{template}' is named twice");
            }
        }

        return sizes.Count > 0 ? sizes : throw new FormatException("no count given");
    }

    private static int Check(int size, string template) =>
        size <= MaxPerTemplate ? size : throw new FormatException($"the pool of '{template}' must be 0..{MaxPerTemplate}");
}
