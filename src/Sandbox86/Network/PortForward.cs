using System.Net;

namespace Sandbox86.Network;

/// <summary>
/// An inbound forward: connections to <see cref="HostAddress"/>:<see cref="HostPort"/> on the host are opened by the
/// stack to the guest's <see cref="GuestPort"/>, from the gateway address (<c>-p 8080:80</c>).
/// </summary>
/// <param name="Protocol">TCP or UDP.</param>
/// <param name="HostPort">Host port to listen on; 0 picks a free port (see <see cref="VirtualNetwork.ForwardEndpoints"/>).</param>
/// <param name="GuestPort">Port in the guest.</param>
public sealed record PortForward(TransportProtocol Protocol, int HostPort, int GuestPort)
{
    /// <summary>Host address to listen on; loopback by default.</summary>
    public IPAddress HostAddress { get; init; } = IPAddress.Loopback;

    /// <summary>Guest address to connect to; by default the first DHCP lease (10.0.2.15).</summary>
    public IPAddress? GuestAddress { get; init; }

    /// <summary>
    /// Parses a Docker-style spec: <c>8080:80</c>, <c>8080:80/udp</c>, <c>127.0.0.1:8080:80</c>, <c>[::1]:8080:80/tcp</c>.
    /// </summary>
    public static PortForward Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var protocol = TransportProtocol.Tcp;
        var body = spec.Trim();
        var slash = body.LastIndexOf('/');
        if (slash >= 0)
        {
            protocol = body[(slash + 1)..].ToLowerInvariant() switch
            {
                "tcp" => TransportProtocol.Tcp,
                "udp" => TransportProtocol.Udp,
                _ => throw new FormatException($"Unknown protocol in port forward '{spec}'"),
            };
            body = body[..slash];
        }

        var guestColon = body.LastIndexOf(':');
        var hostColon = guestColon > 0 ? body.LastIndexOf(':', guestColon - 1) : -1;
        if (guestColon <= 0)
        {
            throw new FormatException($"Port forward '{spec}' is not HOSTPORT:GUESTPORT");
        }

        var address = IPAddress.Loopback;
        var hostPortText = body[(hostColon + 1)..guestColon];
        if (hostColon > 0 && !IPAddress.TryParse(body[..hostColon].Trim('[', ']'), out address))
        {
            throw new FormatException($"Bad host address in port forward '{spec}'");
        }

        if (!ushort.TryParse(hostPortText, System.Globalization.CultureInfo.InvariantCulture, out var hostPort)
            || !ushort.TryParse(body[(guestColon + 1)..], System.Globalization.CultureInfo.InvariantCulture, out var guestPort) || guestPort == 0)
        {
            throw new FormatException($"Bad port in port forward '{spec}'");
        }

        return new PortForward(protocol, hostPort, guestPort) { HostAddress = address };
    }
}
