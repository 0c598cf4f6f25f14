namespace Sandbox86.Network;

/// <summary>The transport a port forward or host-access rule applies to.</summary>
public enum TransportProtocol
{
    /// <summary>TCP.</summary>
    Tcp,
    /// <summary>UDP.</summary>
    Udp,
}
