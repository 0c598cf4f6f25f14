using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Sandbox86.Guest;
using Sandbox86.Server.Envd.Protos.Filesystem;

namespace Sandbox86.Server.Envd.Files;

/// <summary>Agent stat results as envd <c>EntryInfo</c>. Owner and group are numeric ids (no passwd lookup).</summary>
internal static class EntryInfos
{
    public static EntryInfo From(AgentFileInfo info, string path)
    {
        var name = path.TrimEnd('/');
        name = name.Length == 0 ? "/" : name[(name.LastIndexOf('/') + 1)..];
        return new EntryInfo
        {
            Name = name,
            Path = path,
            Type = info.IsDirectory ? FileType.Directory : info.IsSymbolicLink ? FileType.Symlink : FileType.File,
            Size = info.Size,
            Mode = (uint)info.Permissions,
            Permissions = Permissions(info),
            Owner = info.Uid.ToString(CultureInfo.InvariantCulture),
            Group = info.Gid.ToString(CultureInfo.InvariantCulture),
            ModifiedTime = Timestamp.FromDateTimeOffset(info.ModifiedAt),
        };
    }

    public static string Join(string dir, string name) => dir.TrimEnd('/') + "/" + name;

    private static string Permissions(AgentFileInfo info)
    {
        var chars = new char[10];
        chars[0] = info.IsDirectory ? 'd' : info.IsSymbolicLink ? 'l' : '-';
        const string rwx = "rwxrwxrwx";
        for (var i = 0; i < 9; i++)
        {
            chars[i + 1] = (info.Permissions & (1 << (8 - i))) != 0 ? rwx[i] : '-';
        }

        return new string(chars);
    }
}
