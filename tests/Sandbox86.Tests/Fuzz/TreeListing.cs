using System.Globalization;
using System.Text;
using Sandbox86.Images.Fs;

namespace Sandbox86.Tests.Fuzz;

/// <summary>A tree as sorted text lines: the canonical form the index and tar fuzz oracles compare.</summary>
internal static class TreeListing
{
    public static string Of(FsTree tree)
    {
        var sb = new StringBuilder();
        foreach (var (path, n) in tree.Walk().OrderBy(e => e.Path, StringComparer.Ordinal))
        {
            sb.Append(CultureInfo.InvariantCulture, $"{path} {n.Kind} 0{Convert.ToString(n.Mode, 8)} {n.Uid}:{n.Gid} {n.Size} {n.MtimeSeconds} {n.ChunkName} {n.LinkTarget}\n");
        }

        return sb.ToString();
    }
}
