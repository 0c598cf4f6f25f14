namespace Sandbox86.Network;

/// <summary>
/// Egress policy. Rules are CIDRs (<c>203.0.113.0/24</c>, <c>2001:db8::/32</c>, a bare address) or domains
/// (<c>example.com</c> also matches its subdomains; domain rules apply to the addresses this network resolved for
/// that name). Order of evaluation on the address actually dialled: deny CIDR, deny domain, allow CIDR, allow domain,
/// default deny ranges, otherwise allow.
/// </summary>
public sealed record EgressPolicyOptions
{
    /// <summary>Allow rules (CIDR or domain); they override the default-deny ranges.</summary>
    public IReadOnlyList<string> Allow { get; init; } = [];

    /// <summary>Deny rules (CIDR or domain); DNS answers for denied domains become NXDOMAIN.</summary>
    public IReadOnlyList<string> Deny { get; init; } = [];

    /// <summary>
    /// Deny loopback, private (10/8, 172.16/12, 192.168/16), CGNAT (100.64/10), link-local and metadata (169.254/16),
    /// multicast, broadcast, unspecified and the IPv6 forms (::1, fc00::/7, fe80::/10, ff00::/8, mapped) unless allowed.
    /// </summary>
    public bool DenyLocalByDefault { get; init; } = true;
}
