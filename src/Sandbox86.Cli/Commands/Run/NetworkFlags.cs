using System.CommandLine;
using Sandbox86.Cli.Commands.Network;
using Sandbox86.Cli.Output;
using Sandbox86.Machines;
using Sandbox86.Network;

namespace Sandbox86.Cli.Commands.Run;

/// <summary><c>--net</c> and the shared network flags of <c>run</c>/<c>boot</c>; without them the guest's NIC is unplugged.</summary>
internal static class NetworkFlags
{
    private static readonly NetworkOptionFlags Shared = new();

    private static readonly Option<bool> Net = new("--net")
    {
        Description = "Give the VM a network (NAT through sandbox86's own stack; local ranges denied unless allowed)",
    };

    private static readonly Option<string?> RelayUrl = new("--relay-url")
    {
        Description = "Connect the NIC to an external v86 network backend instead (ws://HOST:PORT/ relay, or 'fetch')",
    };

    public static void AddTo(Command command)
    {
        command.Options.Add(Net);
        command.Options.Add(RelayUrl);
        Shared.AddTo(command);
    }

    /// <summary>The external backend for <see cref="MachineOptions.RelayUrl"/>, validated.</summary>
    public static string? ParseRelayUrl(ParseResult parse)
    {
        var url = parse.GetValue(RelayUrl);
        if (url is null)
        {
            return null;
        }

        if (parse.GetValue(Net))
        {
            throw new UsageException("--relay-url and --net are alternatives: the NIC goes to one network");
        }

        var valid = url == "fetch" || (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "ws" or "wss" or "wisp" or "wisps");
        return valid ? url : throw new UsageException($"--relay-url {url}: expected ws://HOST:PORT/, wss://…, wisp://… or fetch");
    }

    public static NetworkOptions? Parse(ParseResult parse)
    {
        var wanted = parse.GetValue(Net);
        if (!wanted && Shared.AnyGiven(parse))
        {
            throw new UsageException("network flags (-p, --host-port, --allow, --deny, --pcap, --dns) need --net");
        }

        return wanted ? Shared.ToOptions(parse) : null;
    }

    public static async ValueTask<IAsyncDisposable> AttachAsync(NetworkOptions? options, Machine machine, CancellationToken cancellationToken)
    {
        if (options is null)
        {
            return new Nothing();
        }

        try
        {
            return await MachineNetwork.AttachAsync(machine, options, cancellationToken);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new UsageException($"cannot set up the network: {e.Message} (is a -p host port already in use?)");
        }
    }

    private sealed class Nothing : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
