using System.CommandLine;
using System.Net;
using Sandbox86.Cli.Output;
using Sandbox86.Network;

namespace Sandbox86.Cli.Commands.Network;

/// <summary>The network flags <c>run</c>, <c>boot</c> and <c>relay</c> share, and their translation to <see cref="NetworkOptions"/>.</summary>
internal sealed class NetworkOptionFlags
{
    public Option<int[]> HostPorts { get; } = new("--host-port")
    {
        Description = "Let the guest reach host 127.0.0.1:PORT at 10.0.2.2:PORT (repeatable)",
    };

    public Option<string[]> Publish { get; } = new("--publish", "-p")
    {
        Description = "Forward host 127.0.0.1:HOSTPORT to guest PORT, e.g. 8080:80 or 5353:53/udp (repeatable)",
    };

    public Option<string[]> Allow { get; } = new("--allow")
    {
        Description = "Allow a CIDR or domain, overriding the default deny of local ranges (repeatable)",
    };

    public Option<string[]> Deny { get; } = new("--deny")
    {
        Description = "Deny a CIDR or domain (repeatable)",
    };

    public Option<string?> Pcap { get; } = new("--pcap")
    {
        Description = "Write every frame to this pcap file (Wireshark/tshark)",
    };

    public Option<string?> Dns { get; } = new("--dns")
    {
        Description = "Upstream DNS server address[:port] (default: the host's resolv.conf)",
    };

    public Option<bool> LogDenied { get; } = new("--log-denied")
    {
        Description = "Print every connection or DNS name the policy denies to stderr",
    };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { HostPorts, Publish, Allow, Deny, Pcap, Dns, LogDenied })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>True when any of these flags was given (they imply a network).</summary>
    public bool AnyGiven(ParseResult parse) =>
        (parse.GetValue(HostPorts)?.Length ?? 0) > 0 || (parse.GetValue(Publish)?.Length ?? 0) > 0
        || (parse.GetValue(Allow)?.Length ?? 0) > 0 || (parse.GetValue(Deny)?.Length ?? 0) > 0
        || parse.GetValue(Pcap) is not null || parse.GetValue(Dns) is not null || parse.GetValue(LogDenied);

    public NetworkOptions ToOptions(ParseResult parse)
    {
        foreach (var port in parse.GetValue(HostPorts) ?? [])
        {
            if (port is < 1 or > 65535)
            {
                throw new UsageException($"--host-port {port}: not a TCP/UDP port");
            }
        }

        return new NetworkOptions
        {
            HostPorts = parse.GetValue(HostPorts) ?? [],
            Forwards = (parse.GetValue(Publish) ?? []).Select(ParseForward).ToList(),
            Policy = new EgressPolicyOptions { Allow = parse.GetValue(Allow) ?? [], Deny = parse.GetValue(Deny) ?? [] },
            PcapPath = parse.GetValue(Pcap),
            UpstreamDns = parse.GetValue(Dns) is { } dns ? ParseDns(dns) : null,
            Logger = parse.GetValue(LogDenied) ? Output.StderrLogger.NetworkDenials : null,
        };
    }

    private static PortForward ParseForward(string spec)
    {
        try
        {
            return PortForward.Parse(spec);
        }
        catch (FormatException e)
        {
            throw new UsageException($"-p {spec}: {e.Message}");
        }
    }

    private static IPEndPoint ParseDns(string value)
    {
        if (IPAddress.TryParse(value, out var address))
        {
            return new IPEndPoint(address, 53);
        }

        if (IPEndPoint.TryParse(value, out var endpoint) && endpoint.Port != 0)
        {
            return endpoint;
        }

        throw new UsageException($"--dns {value}: expected an IP address with an optional :port");
    }
}
