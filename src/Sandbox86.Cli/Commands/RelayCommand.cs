using System.CommandLine;
using System.Net;
using Sandbox86.Network;
using Sandbox86.Network.Relay;

namespace Sandbox86.Cli.Commands;

/// <summary><c>sandbox86 relay</c>: a v86-compatible WebSocket relay (<c>relay_url: "ws://127.0.0.1:8086/"</c>).</summary>
internal static class RelayCommand
{
    private static readonly Option<string> Listen = new("--listen")
    {
        Description = "Address:port to listen on (non-loopback requires --token)",
        DefaultValueFactory = _ => "127.0.0.1:8086",
    };

    private static readonly Option<string?> Token = new("--token")
    {
        Description = "Shared secret, passed by clients as ?token=T or as a WebSocket subprotocol",
    };

    private static readonly Option<bool> Shared = new("--shared")
    {
        Description = "Put every connection on one switched network so guests see each other",
    };

    private static readonly Option<int[]> HostPorts = new("--host-port")
    {
        Description = "Let guests reach host 127.0.0.1:PORT at 10.0.2.2:PORT (repeatable)",
    };

    private static readonly Option<string[]> Publish = new("--publish", "-p")
    {
        Description = "Forward host port to guest port, e.g. 8080:80 or 5353:53/udp (repeatable; needs --shared)",
    };

    private static readonly Option<string[]> Allow = new("--allow")
    {
        Description = "Allow a CIDR or domain, overriding the default deny of local ranges (repeatable)",
    };

    private static readonly Option<string[]> Deny = new("--deny")
    {
        Description = "Deny a CIDR or domain (repeatable)",
    };

    private static readonly Option<string[]> Origins = new("--origin")
    {
        Description = "Browser origin allowed to connect (repeatable; default: loopback origins only)",
    };

    private static readonly Option<string?> Pcap = new("--pcap")
    {
        Description = "Write every frame to this pcap file (shared mode)",
    };

    private static readonly Option<string?> Dns = new("--dns")
    {
        Description = "Upstream DNS server address[:port] (default: the host's resolv.conf)",
    };

    public static Command Create()
    {
        var command = new Command("relay", "Serve a v86-compatible network relay over WebSocket");
        foreach (var o in new Option[] { Listen, Token, Shared, HostPorts, Publish, Allow, Deny, Origins, Pcap, Dns })
        {
            command.Options.Add(o);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var upstream = parse.GetValue(Dns) is { } dns
                ? (IPEndPoint.TryParse(dns, out var ep) ? (ep.Port == 0 ? new IPEndPoint(ep.Address, 53) : ep) : throw new FormatException($"Bad --dns {dns}"))
                : null;
            var network = new NetworkOptions
            {
                HostPorts = parse.GetValue(HostPorts) ?? [],
                Forwards = (parse.GetValue(Publish) ?? []).Select(PortForward.Parse).ToList(),
                Policy = new EgressPolicyOptions { Allow = parse.GetValue(Allow) ?? [], Deny = parse.GetValue(Deny) ?? [] },
                PcapPath = parse.GetValue(Pcap),
                UpstreamDns = upstream,
            };
            var options = new RelayOptions
            {
                Listen = IPEndPoint.Parse(parse.GetValue(Listen)!),
                Token = parse.GetValue(Token),
                Shared = parse.GetValue(Shared),
                AllowedOrigins = parse.GetValue(Origins) ?? [],
                Network = network,
                OnListening = ep => Console.Error.WriteLine($"relay listening on ws://{ep}/"),
            };
            await WebSocketRelay.RunAsync(options, cancellationToken).ConfigureAwait(false);
            return 0;
        });
        return command;
    }
}
