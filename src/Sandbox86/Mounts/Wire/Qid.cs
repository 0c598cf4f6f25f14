namespace Sandbox86.Mounts.Wire;

/// <summary>A 9P qid: the server's identity of a file (type bits, version, unique path).</summary>
internal readonly record struct Qid(byte Type, uint Version, ulong Path)
{
    public const byte Dir = 0x80;
    public const byte Symlink = 0x02;
    public const byte File = 0x00;
    public const int Size = 13;
}
