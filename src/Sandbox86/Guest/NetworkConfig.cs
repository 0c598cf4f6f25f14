using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Sandbox86.Guest;

/// <summary>IPv4 settings the agent applies to a guest interface (ioctls, no tools needed in the image).</summary>
public sealed record NetworkConfig
{
    /// <summary>Interface to configure.</summary>
    public string InterfaceName { get; init; } = "eth0";

    /// <summary>IPv4 address; unchanged when null.</summary>
    public IPAddress? Address { get; init; }

    /// <summary>Prefix length of <see cref="Address"/>.</summary>
    public int PrefixLength { get; init; } = 24;

    /// <summary>Default gateway; the default route is replaced when set.</summary>
    public IPAddress? Gateway { get; init; }

    /// <summary>Name servers written to /etc/resolv.conf (at most 4); untouched when empty.</summary>
    public IReadOnlyList<IPAddress> Dns { get; init; } = [];

    /// <summary>MAC address (the link is taken down briefly to change it).</summary>
    public PhysicalAddress? Mac { get; init; }

    /// <summary>MTU; unchanged when null.</summary>
    public int? Mtu { get; init; }

    internal byte[] Encode()
    {
        var w = new TlvWriter();
        w.String(AgentTag.IfName, InterfaceName);
        if (Address is not null)
        {
            w.Bytes(AgentTag.Addr, V4(Address));
        }

        w.UInt32(AgentTag.Prefix, (uint)Math.Clamp(PrefixLength, 0, 32));
        if (Gateway is not null)
        {
            w.Bytes(AgentTag.Gateway, V4(Gateway));
        }

        foreach (var d in Dns.Take(4))
        {
            w.Bytes(AgentTag.Dns, V4(d));
        }

        if (Mac is not null)
        {
            var mac = Mac.GetAddressBytes();
            if (mac.Length != 6)
            {
                throw new ArgumentException("MAC address must have 6 bytes");
            }

            w.Bytes(AgentTag.Mac, mac);
        }

        if (Mtu is { } mtu)
        {
            w.UInt32(AgentTag.Mtu, (uint)mtu);
        }

        return w.ToArray();
    }

    private static byte[] V4(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException($"{address} is not IPv4");
        }

        return address.GetAddressBytes();
    }
}
