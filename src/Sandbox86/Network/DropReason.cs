namespace Sandbox86.Network;

/// <summary>Why a frame or packet was dropped; every drop is counted under one of these.</summary>
public enum DropReason
{
    /// <summary>A header or payload ends before its declared or minimum length.</summary>
    Truncated,
    /// <summary>A length field disagrees with the bytes actually present.</summary>
    BadLength,
    /// <summary>A checksum did not verify.</summary>
    BadChecksum,
    /// <summary>A version or header-length field holds an impossible value.</summary>
    BadHeader,
    /// <summary>TCP or IP options were malformed.</summary>
    BadOptions,
    /// <summary>An IPv4 fragment: the stack does not reassemble.</summary>
    Fragment,
    /// <summary>An EtherType or IP protocol the stack does not handle.</summary>
    Unsupported,
    /// <summary>A DHCP message that is malformed or not for us.</summary>
    BadDhcp,
    /// <summary>A DNS message that is malformed (labels, pointers, counts).</summary>
    BadDns,
    /// <summary>A frame larger than the configured maximum.</summary>
    Oversize,
    /// <summary>A port's bounded outbound queue was full.</summary>
    QueueFull,
    /// <summary>No port knows the destination and the frame was not floodable.</summary>
    NoRoute,
    /// <summary>The egress policy denied the destination.</summary>
    PolicyDenied,
    /// <summary>A per-network limit (flows, bandwidth, total bytes) was reached.</summary>
    LimitReached,
    /// <summary>A TCP segment that does not belong to any connection or fails validation.</summary>
    TcpInvalid,
    /// <summary>A frame whose source address is spoofed or not allowed (broadcast/multicast source).</summary>
    BadSource,
}
