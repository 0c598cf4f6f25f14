namespace Sandbox86.Network.Nat;

internal enum TcpState
{
    /// <summary>Guest SYN seen; the host dial is in progress and the guest gets nothing until it completes.</summary>
    Dialing,
    /// <summary>Inbound forward: our SYN sent to the guest.</summary>
    SynSent,
    /// <summary>SYN-ACK sent to the guest.</summary>
    SynReceived,
    Established,
    TimeWait,
    Closed,
}
