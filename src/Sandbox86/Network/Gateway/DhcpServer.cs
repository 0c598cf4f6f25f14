using Sandbox86.Network.Switching;
using Sandbox86.Network.Wire;

namespace Sandbox86.Network.Gateway;

/// <summary>
/// DHCPv4 server (RFC 2131). Leases are keyed by the port a request arrived on, not by MAC, so clones of one
/// snapshot (same MAC) each get a working address.
/// </summary>
internal sealed class DhcpServer(
    GatewayContext ctx, IFrameEmitter emit, IReadOnlyList<StaticLease> staticLeases, Ipv4Address firstGuest, TimeSpan leaseTime)
{
    private readonly Dictionary<string, Ipv4Address> _leases = [];

    public IReadOnlyDictionary<string, Ipv4Address> Leases => _leases;

    public Ipv4Address? LeaseFor(string port) => _leases.TryGetValue(port, out var ip) ? ip : null;

    /// <summary>Answers one client message; returns the address it acknowledged to the client (a bound lease), if any.</summary>
    public Ipv4Address? Handle(in EthernetHeader eth, ReadOnlySpan<byte> data, SwitchPortBase? ingress)
    {
        if (!DhcpMessage.TryParse(data, out var msg, out var reason))
        {
            ctx.Drops.Add(reason);
            return null;
        }

        if (ingress is null || msg!.Op != DhcpMessage.BootRequest)
        {
            ctx.Drops.Add(DropReason.BadDhcp);
            return null;
        }

        if (msg.ServerIdentifier is { } sid && sid != ctx.GatewayIp)
        {
            // The client chose another server.
            return null;
        }

        var lease = Lease(ingress.Name);
        if (lease is not { } ip)
        {
            ctx.Drops.Add(DropReason.LimitReached);
            return null;
        }

        byte type;
        switch (msg.MessageType)
        {
            case DhcpMessage.Discover:
                type = DhcpMessage.Offer;
                break;
            case DhcpMessage.Request:
                var wanted = msg.RequestedIp ?? msg.ClientIp;
                type = wanted == ip ? DhcpMessage.Ack : DhcpMessage.Nak;
                break;
            case DhcpMessage.Inform:
                type = DhcpMessage.Ack;
                break;
            default:
                return null;
        }

        var reply = new DhcpMessage
        {
            Op = DhcpMessage.BootReply,
            TransactionId = msg.TransactionId,
            Flags = msg.Flags,
            YourIp = type == DhcpMessage.Nak || msg.MessageType == DhcpMessage.Inform ? Ipv4Address.Any : ip,
            ServerIp = ctx.GatewayIp,
            ClientMac = msg.ClientMac,
            MessageType = type,
            ServerIdentifier = ctx.GatewayIp,
            SubnetMask = type == DhcpMessage.Nak ? null : ctx.Mask,
            Router = type == DhcpMessage.Nak ? null : ctx.GatewayIp,
            DnsServer = type == DhcpMessage.Nak ? null : ctx.DnsIp,
            LeaseSeconds = type == DhcpMessage.Nak ? null : (uint)leaseTime.TotalSeconds,
            Mtu = type == DhcpMessage.Nak ? null : (ushort)ctx.Mtu,
        };
        var payload = new byte[reply.Length];
        reply.Write(payload);
        // Broadcast at IP level: the client has no address yet; the frame goes only to the asking port.
        emit.SendUdpTo(ingress, eth.Source, ctx.GatewayIp, 67, Ipv4Address.Broadcast, 68, payload);
        return type == DhcpMessage.Ack && msg.MessageType == DhcpMessage.Request ? ip : null;
    }

    private Ipv4Address? Lease(string port)
    {
        if (_leases.TryGetValue(port, out var ip))
        {
            return ip;
        }

        if (staticLeases.FirstOrDefault(s => s.PortName == port) is { } fixedLease)
        {
            return _leases[port] = Ipv4Address.From(fixedLease.Address);
        }

        var taken = _leases.Values.Concat(staticLeases.Select(s => Ipv4Address.From(s.Address))).ToHashSet();
        for (var candidate = firstGuest; ctx.InSubnet(candidate) && candidate != ctx.SubnetBroadcast;
            candidate = candidate.Offset(1))
        {
            if (!taken.Contains(candidate) && candidate != ctx.GatewayIp && candidate != ctx.DnsIp)
            {
                return _leases[port] = candidate;
            }
        }

        return null;
    }
}
