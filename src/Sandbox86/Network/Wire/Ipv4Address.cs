using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Sandbox86.Network.Wire;

/// <summary>An IPv4 address as a host-order <see cref="uint"/> (network order on the wire).</summary>
internal readonly record struct Ipv4Address(uint Value)
{
    public static readonly Ipv4Address Any = new(0);
    public static readonly Ipv4Address Broadcast = new(0xffff_ffff);

    public static Ipv4Address Read(ReadOnlySpan<byte> b) => new(BinaryPrimitives.ReadUInt32BigEndian(b));

    public void Write(Span<byte> b) => BinaryPrimitives.WriteUInt32BigEndian(b, Value);

    public static Ipv4Address From(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"Not an IPv4 address: {address}", nameof(address));
        }

        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        return Read(b);
    }

    public static Ipv4Address Parse(string text) => From(IPAddress.Parse(text));

    public IPAddress ToIPAddress()
    {
        Span<byte> b = stackalloc byte[4];
        Write(b);
        return new IPAddress(b);
    }

    public Ipv4Address Offset(int n) => new((uint)(Value + n));

    public override string ToString() => ToIPAddress().ToString();
}
