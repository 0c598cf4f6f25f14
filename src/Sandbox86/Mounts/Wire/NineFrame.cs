using System.Buffers.Binary;

namespace Sandbox86.Mounts.Wire;

/// <summary>The header every 9P message starts with: <c>size[4] type[1] tag[2]</c>.</summary>
internal static class NineFrame
{
    public const int HeaderSize = 7;
    public const ushort NoTag = 0xFFFF;
    public const uint NoFid = 0xFFFFFFFF;

    /// <summary>The declared size of the message at the start of <paramref name="data"/>, checked against [7, max].</summary>
    public static int DeclaredSize(ReadOnlySpan<byte> data, int max)
    {
        var size = BinaryPrimitives.ReadUInt32LittleEndian(data);
        if (size < HeaderSize || size > (uint)max)
        {
            throw new NineFormatException($"9P message size {size} outside [{HeaderSize}, {max}]");
        }

        return (int)size;
    }
}
