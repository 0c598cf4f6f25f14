namespace Sandbox86.Network.Policy;

/// <summary>Where a guest flow leaving the subnet may go.</summary>
internal enum EgressRouteKind
{
    /// <summary>Nowhere: policy, host-port rules or addressing refused it (already counted and logged).</summary>
    Denied,
    /// <summary>gateway:PORT for a port the user allowed, dialled as host 127.0.0.1:PORT.</summary>
    HostLoopback,
    /// <summary>The address the guest dialled, which the egress policy allows.</summary>
    Internet,
}
