using System.Net;
using Sandbox86.Network.Gateway;
using Sandbox86.Network.Wire;

namespace Sandbox86.Network.Policy;

/// <summary>
/// Owns the egress decision for the whole network: the host-port rules (gateway:PORT → host loopback, only for listed
/// ports), the egress policy on the address actually dialled, and the domain rules for DNS. Every denial is counted
/// and goes to the debug log here, so no NAT table can forget either.
/// </summary>
internal sealed class EgressRouter(GatewayContext ctx, EgressPolicy policy, IReadOnlyList<int> hostPorts, Microsoft.Extensions.Logging.ILogger? logger)
    : IEgressRouter, IDomainPolicy
{
    public EgressRoute Route(Ipv4Address destination, int port, TransportProtocol protocol)
    {
        if (destination == ctx.GatewayIp)
        {
            // Host access: only the ports the user listed, and only ever host loopback.
            if (hostPorts.Contains(port))
            {
                return new EgressRoute(EgressRouteKind.HostLoopback, IPAddress.Loopback);
            }

            return Deny(DropReason.PolicyDenied,
                $"denied {Name(protocol)} to the host port {port} (not among the allowed host ports)");
        }

        if (ctx.InSubnet(destination) || destination == Ipv4Address.Broadcast)
        {
            return Deny(DropReason.NoRoute, null);
        }

        var ip = destination.ToIPAddress();
        if (policy.Allows(ip))
        {
            return new EgressRoute(EgressRouteKind.Internet, ip);
        }

        return Deny(DropReason.PolicyDenied, $"denied {Name(protocol)} to {ip}{(port == 0 ? "" : ":" + port)} (egress policy)");
    }

    public bool DeniesQuery(IReadOnlyCollection<string> names)
    {
        if (!names.Any(policy.IsDomainDenied))
        {
            return false;
        }

        Deny(DropReason.PolicyDenied, $"denied DNS query for {string.Join(", ", names)} (domain policy)");
        return true;
    }

    public bool DeniesAnswer(IReadOnlyCollection<string> names)
    {
        if (!names.Any(policy.IsDomainDenied))
        {
            return false;
        }

        Deny(DropReason.PolicyDenied, $"denied DNS answer naming {string.Join(", ", names.Where(policy.IsDomainDenied))} (domain policy)");
        return true;
    }

    public void Pin(string name, IPAddress address) => policy.Pins.Pin(name, address);

    private static string Name(TransportProtocol protocol) => protocol.ToString().ToLowerInvariant();

    private EgressRoute Deny(DropReason reason, string? log)
    {
        ctx.Drops.Add(reason);
        if (log is not null)
        {
            NetworkLog.Denied(logger, log);
        }

        return EgressRoute.Denied;
    }
}
