using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Sandbox86.Network.Policy;

/// <summary>An IPv4 or IPv6 prefix.</summary>
internal sealed class Cidr
{
    private readonly byte[] _prefix;

    public Cidr(IPAddress network, int bits)
    {
        _prefix = network.GetAddressBytes();
        Family = network.AddressFamily;
        Bits = bits;
        if (bits < 0 || bits > _prefix.Length * 8)
        {
            throw new ArgumentOutOfRangeException(nameof(bits));
        }
    }

    public AddressFamily Family { get; }

    public int Bits { get; }

    public static bool TryParse(string text, out Cidr? cidr)
    {
        cidr = null;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addrText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addrText, out var addr))
        {
            return false;
        }

        var max = addr.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var bits = max;
        if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out bits) || bits > max))
        {
            return false;
        }

        cidr = new Cidr(addr, bits);
        return true;
    }

    public static Cidr Parse(string text) =>
        TryParse(text, out var c) ? c! : throw new FormatException($"Not a CIDR: {text}");

    public bool Contains(IPAddress address)
    {
        if (address.AddressFamily != Family)
        {
            return false;
        }

        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out var n);
        var full = Bits / 8;
        if (!b[..full].SequenceEqual(_prefix.AsSpan(0, full)))
        {
            return false;
        }

        var rest = Bits % 8;
        if (rest == 0)
        {
            return true;
        }

        var mask = (byte)(0xff << (8 - rest));
        return full < n && (b[full] & mask) == (_prefix[full] & mask);
    }

    public override string ToString() => $"{new IPAddress(_prefix)}/{Bits}";
}
