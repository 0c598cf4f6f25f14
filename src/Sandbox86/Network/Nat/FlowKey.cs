using Sandbox86.Network.Wire;

namespace Sandbox86.Network.Nat;

/// <summary>A NAT flow as the guest sees it: its own endpoint and the remote endpoint it addressed.</summary>
internal readonly record struct FlowKey(Ipv4Address GuestIp, ushort GuestPort, Ipv4Address RemoteIp, ushort RemotePort);
