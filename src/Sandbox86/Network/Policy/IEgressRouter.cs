using Sandbox86.Network.Wire;

namespace Sandbox86.Network.Policy;

/// <summary>"Where may this flow go": what a NAT table asks before it opens a host socket.</summary>
internal interface IEgressRouter
{
    /// <summary>
    /// Routes a flow to <paramref name="destination"/>:<paramref name="port"/> (port 0 for ICMP). A denial is counted
    /// (policy or no-route) and logged by the router; the caller only tells the guest.
    /// </summary>
    EgressRoute Route(Ipv4Address destination, int port, TransportProtocol protocol);
}
