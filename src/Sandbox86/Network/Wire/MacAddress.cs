using System.Buffers.Binary;
using System.Globalization;

namespace Sandbox86.Network.Wire;

/// <summary>A 48-bit Ethernet address held in the low bits of a <see cref="ulong"/>.</summary>
internal readonly record struct MacAddress(ulong Value)
{
    public static readonly MacAddress Broadcast = new(0xffff_ffff_ffffUL);

    public bool IsBroadcast => Value == Broadcast.Value;

    /// <summary>The I/G bit: group (multicast or broadcast) addresses never appear as a source.</summary>
    public bool IsGroup => ((Value >> 40) & 1) != 0;

    public bool IsZero => Value == 0;

    public static MacAddress Read(ReadOnlySpan<byte> b) =>
        new(((ulong)BinaryPrimitives.ReadUInt16BigEndian(b) << 32) | BinaryPrimitives.ReadUInt32BigEndian(b[2..]));

    public void Write(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)(Value >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(b[2..], (uint)Value);
    }

    public static MacAddress Parse(string text)
    {
        var parts = text.Split(':', '-');
        if (parts.Length != 6)
        {
            throw new FormatException($"Not a MAC address: {text}");
        }

        ulong v = 0;
        foreach (var p in parts)
        {
            v = (v << 8) | byte.Parse(p, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }

        return new MacAddress(v);
    }

    public override string ToString()
    {
        Span<byte> b = stackalloc byte[6];
        Write(b);
        return string.Join(':', b.ToArray().Select(x => x.ToString("x2", CultureInfo.InvariantCulture)));
    }
}
