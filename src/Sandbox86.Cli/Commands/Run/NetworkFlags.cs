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

    public static void AddTo(Command command)
    {
        command.Options.Add(Net);
        Shared.AddTo(command);
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
