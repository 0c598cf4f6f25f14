namespace Sandbox86.Guest;

/// <summary>Metadata of a guest file (lstat: symlinks are not followed).</summary>
public sealed record AgentFileInfo
{
    /// <summary>Entry name for directory listings; the requested path for stat.</summary>
    public required string Name { get; init; }

    /// <summary>Full st_mode: file type bits and permissions.</summary>
    public required int Mode { get; init; }

    /// <summary>Size in bytes.</summary>
    public required long Size { get; init; }

    /// <summary>Last modification time.</summary>
    public required DateTimeOffset ModifiedAt { get; init; }

    /// <summary>Owner user id.</summary>
    public int Uid { get; init; }

    /// <summary>Owner group id.</summary>
    public int Gid { get; init; }

    /// <summary>Permission bits only (mode &amp; 0o7777).</summary>
    public int Permissions => Mode & 0xFFF;

    /// <summary>True for directories.</summary>
    public bool IsDirectory => (Mode & 0xF000) == 0x4000;

    /// <summary>True for regular files.</summary>
    public bool IsRegularFile => (Mode & 0xF000) == 0x8000;

    /// <summary>True for symbolic links.</summary>
    public bool IsSymbolicLink => (Mode & 0xF000) == 0xA000;

    /// <summary>Parses stat fields; a <see cref="AgentTag.Name"/> tag starts a new entry in listings.</summary>
    internal static List<AgentFileInfo> ParseAll(ReadOnlySpan<byte> payload, string? defaultName)
    {
        var list = new List<AgentFileInfo>();
        AgentFileInfo? current = defaultName is null ? null : Empty(defaultName);
        var r = new TlvReader(payload);
        while (r.Read())
        {
            if (r.Tag == AgentTag.Name)
            {
                if (current is not null && defaultName is null)
                {
                    list.Add(current);
                }

                current = Empty(r.String());
                continue;
            }

            if (current is null)
            {
                continue;
            }

            current = r.Tag switch
            {
                AgentTag.Mode => current with { Mode = r.Int32() },
                AgentTag.Size => current with { Size = (long)r.UInt64() },
                AgentTag.MtimeNs => current with { ModifiedAt = DateTimeOffset.UnixEpoch.AddTicks((long)(r.UInt64() / 100)) },
                AgentTag.Uid => current with { Uid = r.Int32() },
                AgentTag.Gid => current with { Gid = r.Int32() },
                _ => current,
            };
        }

        if (current is not null)
        {
            list.Add(current);
        }

        return list;
    }

    private static AgentFileInfo Empty(string name) =>
        new() { Name = name, Mode = 0, Size = 0, ModifiedAt = DateTimeOffset.UnixEpoch };
}
