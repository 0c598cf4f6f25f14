using Sandbox86.Network.Switching;
using Sandbox86.Network.Wire;

namespace Sandbox86.Network.Gateway;

/// <summary>
/// The one way the gateway's parts send a frame toward guests. Each call builds one Ethernet frame from the gateway's
/// MAC and hands it to the switch; callers hold the network's lock or take it (the switch takes it too).
/// </summary>
internal interface IFrameEmitter
{
    void SendTcp(MacAddress guestMac, Ipv4Address from, Ipv4Address to, in TcpHeader tcp, ReadOnlySpan<byte> data);

    void SendUdp(MacAddress guestMac, Ipv4Address from, ushort fromPort, Ipv4Address to, ushort toPort, ReadOnlySpan<byte> data);

    void SendIcmp(MacAddress guestMac, Ipv4Address from, Ipv4Address to, in IcmpHeader icmp, ReadOnlySpan<byte> data);

    void SendArp(MacAddress destination, in ArpPacket arp);

    /// <summary>A UDP frame straight to one port, whatever the switch learned (DHCP answers the port that asked).</summary>
    void SendUdpTo(SwitchPortBase port, MacAddress guestMac, Ipv4Address from, ushort fromPort, Ipv4Address to, ushort toPort,
        ReadOnlySpan<byte> data);
}
