using System.Net;

namespace Sandbox86.Network;

/// <summary>
/// An inbound forward: connections to <see cref="HostAddress"/>:<see cref="HostPort"/> on the host are opened by the
/// stack to the guest's <see cref="GuestPort"/>, from the gateway address (<c>-p 8080:80</c>).
/// </summary>
/// <param name="Protocol">TCP or UDP.</param>
/// <param name="HostPort">Host port to listen on; 0 picks a free port (see <see cref="VirtualNetwork.ForwardEndpoints"/>).</param>
/// <param name="GuestPort">Port in the guest.</param>
public sealed record PortForward(TransportProtocol Protocol, int HostPort, int GuestPort)
{
    /// <summary>Host address to listen on; loopback by default.</summary>
    public IPAddress HostAddress { get; init; } = IPAddress.Loopback;

    /// <summary>Guest address to connect to; by default the first DHCP lease (10.0.2.15).</summary>
    public IPAddress? GuestAddress { get; init; }
}
