using Sandbox86.Network.Wire;

namespace Sandbox86.Network.Forwarding;

/// <summary>What an inbound forward needs to find its guest: a default address and the ARP cache.</summary>
internal interface IGuestResolver
{
    /// <summary>The guest a forward without an explicit address goes to (the lowest lease). Called under the network's lock.</summary>
    Ipv4Address DefaultGuest { get; }

    /// <summary>The MAC last seen for <paramref name="ip"/>.</summary>
    bool TryGetMac(Ipv4Address ip, out MacAddress mac);

    /// <summary>Asks the subnet who has <paramref name="ip"/>. Called under the network's lock.</summary>
    void RequestMac(Ipv4Address ip);
}
