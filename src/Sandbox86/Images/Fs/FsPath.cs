namespace Sandbox86.Images.Fs;

/// <summary>Path handling for paths inside an image (always '/'-separated, rooted at the image root).</summary>
internal static class FsPath
{
    /// <summary>
    /// Splits a path into components, dropping empty and "." parts and resolving ".." lexically.
    /// Returns null when ".." would climb above the root: callers decide whether that is an error.
    /// </summary>
    public static List<string>? Normalize(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (parts.Count == 0)
                {
                    return null;
                }

                parts.RemoveAt(parts.Count - 1);
                continue;
            }

            parts.Add(part);
        }

        return parts;
    }

    /// <summary>Like <see cref="Normalize"/> but throws when the path escapes the root.</summary>
    public static List<string> Split(string path) =>
        Normalize(path) ?? throw new ImageException($"path '{path}' escapes the image root through '..'");

    public static string Join(IEnumerable<string> parts) => "/" + string.Join('/', parts);
}
