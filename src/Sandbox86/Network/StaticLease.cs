using System.Net;

namespace Sandbox86.Network;

/// <summary>A fixed DHCP lease for the port attached under <paramref name="PortName"/>.</summary>
/// <param name="PortName">The name given to <see cref="VirtualNetwork.AttachPort"/>.</param>
/// <param name="Address">The address that port's guest always receives.</param>
public sealed record StaticLease(string PortName, IPAddress Address);
