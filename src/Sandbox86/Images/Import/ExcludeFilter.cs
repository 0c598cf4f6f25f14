using Sandbox86.Images.Fs;

namespace Sandbox86.Images.Import;

/// <summary>Matches image paths against <see cref="ImportOptions.Exclude"/> (each entry covers its subtree).</summary>
internal sealed class ExcludeFilter
{
    private readonly HashSet<string> _paths;

    public ExcludeFilter(IEnumerable<string> paths)
    {
        _paths = new HashSet<string>(
            paths.Select(p => FsPath.Join(FsPath.Split(p))).Where(p => p != "/"),
            StringComparer.Ordinal);
    }

    public bool IsExcluded(string absPath)
    {
        if (_paths.Count == 0)
        {
            return false;
        }

        for (var path = absPath; path.Length > 1; path = path[..Math.Max(1, path.LastIndexOf('/'))])
        {
            if (_paths.Contains(path))
            {
                return true;
            }
        }

        return false;
    }
}
