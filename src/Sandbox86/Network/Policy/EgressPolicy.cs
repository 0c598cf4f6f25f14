using System.Net;
using System.Net.Sockets;

namespace Sandbox86.Network.Policy;

/// <summary>Decides whether the stack may dial an address on the guest's behalf. Thread-safe.</summary>
internal sealed class EgressPolicy
{
    private static readonly Cidr[] DefaultDeny =
    [
        Cidr.Parse("0.0.0.0/8"), Cidr.Parse("127.0.0.0/8"), Cidr.Parse("10.0.0.0/8"), Cidr.Parse("172.16.0.0/12"),
        Cidr.Parse("192.168.0.0/16"), Cidr.Parse("100.64.0.0/10"), Cidr.Parse("169.254.0.0/16"), Cidr.Parse("224.0.0.0/4"),
        Cidr.Parse("240.0.0.0/4"), Cidr.Parse("::/128"), Cidr.Parse("::1/128"), Cidr.Parse("fc00::/7"), Cidr.Parse("fe80::/10"),
        Cidr.Parse("ff00::/8"), Cidr.Parse("64:ff9b::/96"),
    ];

    private readonly Cidr[] _allowCidrs;
    private readonly Cidr[] _denyCidrs;
    private readonly string[] _allowDomains;
    private readonly string[] _denyDomains;
    private readonly bool _denyLocal;

    public EgressPolicy(EgressPolicyOptions options)
    {
        (_allowCidrs, _allowDomains) = Split(options.Allow);
        (_denyCidrs, _denyDomains) = Split(options.Deny);
        _denyLocal = options.DenyLocalByDefault;
    }

    public DomainPins Pins { get; } = new();

    private static (Cidr[], string[]) Split(IReadOnlyList<string> rules)
    {
        var cidrs = new List<Cidr>();
        var domains = new List<string>();
        foreach (var r in rules)
        {
            if (Cidr.TryParse(r.Trim(), out var c))
            {
                cidrs.Add(c!);
            }
            else
            {
                domains.Add(r.Trim().TrimEnd('.').TrimStart('*', '.').ToLowerInvariant());
            }
        }

        return ([.. cidrs], [.. domains]);
    }

    public static bool MatchesDomain(string name, string rule) =>
        name.Equals(rule, StringComparison.OrdinalIgnoreCase) || name.EndsWith("." + rule, StringComparison.OrdinalIgnoreCase);

    public bool IsDomainDenied(string name) => _denyDomains.Any(d => MatchesDomain(name.TrimEnd('.'), d));

    /// <summary>Evaluates the address actually dialled; mapped IPv4-in-IPv6 is judged as IPv4.</summary>
    public bool Allows(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (_denyCidrs.Any(c => c.Contains(address)))
        {
            return false;
        }

        var names = _denyDomains.Length + _allowDomains.Length > 0 ? Pins.NamesFor(address) : [];
        if (names.Any(n => _denyDomains.Any(d => MatchesDomain(n, d))))
        {
            return false;
        }

        if (_allowCidrs.Any(c => c.Contains(address)) || names.Any(n => _allowDomains.Any(d => MatchesDomain(n, d))))
        {
            return true;
        }

        if (_denyLocal && (DefaultDeny.Any(c => c.Contains(address)) || address.Equals(IPAddress.Broadcast)
            || (address.AddressFamily == AddressFamily.InterNetworkV6 && address.IsIPv6SiteLocal)))
        {
            return false;
        }

        return true;
    }
}
