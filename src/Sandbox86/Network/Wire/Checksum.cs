using System.Buffers.Binary;

namespace Sandbox86.Network.Wire;

/// <summary>RFC 1071 Internet checksum: one's-complement sum of 16-bit big-endian words.</summary>
internal static class Checksum
{
    public static ulong Add(ulong sum, ReadOnlySpan<byte> data)
    {
        // 32-bit reads into a 64-bit accumulator: carries are folded once at the end.
        var i = 0;
        for (; i + 4 <= data.Length; i += 4)
        {
            sum += BinaryPrimitives.ReadUInt32BigEndian(data[i..]);
        }

        for (; i + 2 <= data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (i < data.Length)
        {
            sum += (ulong)data[i] << 8;
        }

        return sum;
    }

    public static ushort Fold(ulong sum)
    {
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    public static ushort Compute(ReadOnlySpan<byte> data) => Fold(Add(0, data));

    public static ulong PseudoHeader(Ipv4Address source, Ipv4Address destination, byte protocol, int length) =>
        (ulong)source.Value + destination.Value + protocol + (uint)length;
}
