using Sandbox86.Network.Switching;
using Sandbox86.Network.Wire;

namespace Sandbox86.Network.Gateway;

/// <summary>Builds gateway frames (source MAC = the gateway's) and puts them on the switch.</summary>
internal sealed class FrameEmitter(EthernetSwitch sw, MacAddress mac) : IFrameEmitter
{
    public void SendTcp(MacAddress guestMac, Ipv4Address from, Ipv4Address to, in TcpHeader tcp, ReadOnlySpan<byte> data) =>
        sw.FromGateway(FrameBuilder.Tcp(guestMac, mac, from, to, tcp, data));

    public void SendUdp(MacAddress guestMac, Ipv4Address from, ushort fromPort, Ipv4Address to, ushort toPort, ReadOnlySpan<byte> data) =>
        sw.FromGateway(FrameBuilder.Udp(guestMac, mac, from, to, fromPort, toPort, data));

    public void SendIcmp(MacAddress guestMac, Ipv4Address from, Ipv4Address to, in IcmpHeader icmp, ReadOnlySpan<byte> data) =>
        sw.FromGateway(FrameBuilder.Icmp(guestMac, mac, from, to, icmp, data));

    public void SendArp(MacAddress destination, in ArpPacket arp) => sw.FromGateway(FrameBuilder.Arp(destination, mac, arp));

    public void SendUdpTo(SwitchPortBase port, MacAddress guestMac, Ipv4Address from, ushort fromPort, Ipv4Address to, ushort toPort,
        ReadOnlySpan<byte> data) =>
        sw.FromGatewayTo(port, FrameBuilder.Udp(guestMac, mac, from, to, fromPort, toPort, data));
}
