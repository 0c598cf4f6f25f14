using System.CommandLine;
using System.Net;
using Sandbox86.Cli.Output;
using Sandbox86.Network.Relay;

namespace Sandbox86.Cli.Commands.Network;

/// <summary><c>sandbox86 relay</c>: a v86-compatible WebSocket relay (<c>relay_url: "ws://127.0.0.1:8086/"</c>).</summary>
internal static class RelayCommand
{
    private static readonly NetworkOptionFlags NetworkFlags = new();

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

    private static readonly Option<string[]> Origins = new("--origin")
    {
        Description = "Browser origin allowed to connect (repeatable; default: loopback origins only)",
    };

    public static Command Create()
    {
        var command = new Command("relay", "Serve a v86-compatible network relay over WebSocket") { Listen, Token, Shared, Origins };
        NetworkFlags.AddTo(command);
        command.SetAction((parse, cancellationToken) => CliError.GuardAsync(async () =>
        {
            if (!IPEndPoint.TryParse(parse.GetValue(Listen)!, out var listen) || listen.Port == 0)
            {
                throw new UsageException($"--listen {parse.GetValue(Listen)}: expected ADDRESS:PORT");
            }

            var shared = parse.GetValue(Shared);
            var network = NetworkFlags.ToOptions(parse);
            if (!shared && network.Forwards.Count > 0)
            {
                throw new UsageException("-p needs --shared: without it every connection gets its own network and they would all claim the same host port");
            }

            if (parse.GetValue(Token) is { } token && string.IsNullOrWhiteSpace(token))
            {
                throw new UsageException("--token is empty: give a secret, or leave --token out on a loopback address");
            }

            if (!IPAddress.IsLoopback(listen.Address) && string.IsNullOrEmpty(parse.GetValue(Token)))
            {
                throw new UsageException($"--listen {listen}: a non-loopback address needs --token");
            }

            var options = new RelayOptions
            {
                Listen = listen,
                Token = parse.GetValue(Token),
                Shared = shared,
                AllowedOrigins = parse.GetValue(Origins) ?? [],
                Network = network,
                OnListening = ep => Console.Error.WriteLine($"relay listening on ws://{ep}/"),
            };
            try
            {
                await WebSocketRelay.RunAsync(options, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C is the normal way to stop a relay.
            }
            catch (System.Net.Sockets.SocketException e)
            {
                throw new UsageException($"cannot listen on {listen}: {e.Message}");
            }

            return 0;
        }));
        return command;
    }
}
