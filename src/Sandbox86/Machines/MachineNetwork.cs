using System.Net;
using Sandbox86.Guest;
using Sandbox86.Network;

namespace Sandbox86.Machines;

/// <summary>
/// Connects a machine's NIC to its own <see cref="VirtualNetwork"/> (the C# stack: DHCP, DNS, NAT,
/// forwards, policy) through the worker's frame channel, and configures eth0 in the guest statically
/// so the network is up before the first command runs — after a restore too, where a DHCP client
/// would still hold the lease of the moment the snapshot was taken.
/// </summary>
public sealed class MachineNetwork : IAsyncDisposable
{
    private readonly Machine _machine;
    private readonly Action<ReadOnlyMemory<byte>> _onFrame;

    private MachineNetwork(Machine machine, VirtualNetwork network, INetworkPort port, Action<ReadOnlyMemory<byte>> onFrame)
    {
        _machine = machine;
        Network = network;
        Port = port;
        _onFrame = onFrame;
    }

    public VirtualNetwork Network { get; }
    public INetworkPort Port { get; }

    /// <summary>The guest's address on its network.</summary>
    public IPAddress GuestAddress => Network.LeaseOf(Port.Name) ?? Network.Options.FirstGuest;

    public static async Task<MachineNetwork> AttachAsync(Machine machine, NetworkOptions options, CancellationToken cancellationToken)
    {
        var portName = "vm";
        // The guest's address is pinned to the port so the static config and DHCP agree.
        var pinned = options with
        {
            StaticLeases = [.. options.StaticLeases.Where(l => l.PortName != portName), new StaticLease(portName, options.FirstGuest)],
        };
        var network = new VirtualNetwork(pinned);
        INetworkPort? port = null;
        try
        {
            port = network.AttachPort(portName, frame => new ValueTask(machine.SendNetAsync(frame, CancellationToken.None)));
            var attachedPort = port;
            Action<ReadOnlyMemory<byte>> onFrame = frame => attachedPort.Receive(frame.Span);
            machine.NetReceived += onFrame;
            var attached = new MachineNetwork(machine, network, port, onFrame);
            await machine.Agent.ConfigureNetworkAsync(new NetworkConfig
            {
                Address = options.FirstGuest,
                PrefixLength = options.PrefixLength,
                Gateway = options.Gateway,
                Dns = [options.Dns],
                Mtu = options.Mtu,
            }, cancellationToken);
            return attached;
        }
        catch
        {
            if (port is not null)
            {
                await port.DisposeAsync();
            }

            await network.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _machine.NetReceived -= _onFrame;
        await Port.DisposeAsync();
        await Network.DisposeAsync();
    }
}
