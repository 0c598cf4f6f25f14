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
    private readonly bool _ownsNetwork;
    private IDisposable? _idleProbe;

    private MachineNetwork(Machine machine, VirtualNetwork network, INetworkPort port, Action<ReadOnlyMemory<byte>> onFrame, bool ownsNetwork)
    {
        _machine = machine;
        Network = network;
        Port = port;
        _onFrame = onFrame;
        _ownsNetwork = ownsNetwork;
    }

    /// <summary>The userspace network the NIC is plugged into (shared when the caller supplied one).</summary>
    public VirtualNetwork Network { get; }
    /// <summary>The machine's port on that network.</summary>
    public INetworkPort Port { get; }

    /// <summary>The guest's address on its network.</summary>
    public IPAddress GuestAddress => Network.LeaseOf(Port.Name) ?? Network.Options.FirstGuest;

    /// <summary>Gives the machine a network of its own (the usual case: one sandbox, one network).</summary>
    public static async Task<MachineNetwork> AttachAsync(Machine machine, NetworkOptions options, CancellationToken cancellationToken)
    {
        const string portName = "vm";
        // The guest's address is pinned to the port so the static config and DHCP agree.
        var pinned = options with
        {
            StaticLeases = [.. options.StaticLeases.Where(l => l.PortName != portName), new StaticLease(portName, options.FirstGuest)],
        };
        var network = new VirtualNetwork(pinned);
        try
        {
            return await AttachCoreAsync(machine, network, portName, options.FirstGuest, mac: null, ownsNetwork: true, cancellationToken);
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Puts the machine on a network shared with others (guests see each other). Clones of one snapshot
    /// share a MAC, so each gets its own <paramref name="mac"/> and <paramref name="address"/>.
    /// </summary>
    public static Task<MachineNetwork> AttachSharedAsync(Machine machine, VirtualNetwork network, string portName, IPAddress address,
        System.Net.NetworkInformation.PhysicalAddress mac, CancellationToken cancellationToken) =>
        AttachCoreAsync(machine, network, portName, address, mac, ownsNetwork: false, cancellationToken);

    private static async Task<MachineNetwork> AttachCoreAsync(Machine machine, VirtualNetwork network, string portName, IPAddress address,
        System.Net.NetworkInformation.PhysicalAddress? mac, bool ownsNetwork, CancellationToken cancellationToken)
    {
        var options = network.Options;
        var port = network.AttachPort(portName, frame => new ValueTask(machine.SendNetAsync(frame, CancellationToken.None)));
        // The stack runs on this subscription's own consumer task, never on the worker's read loop: when it
        // (or a pcap writer inside it) falls behind, new guest frames are dropped and counted
        // (Machine.NetFramesDropped) as by a NIC with a full receive ring, and exec is not held up.
        Action<ReadOnlyMemory<byte>> onFrame = frame => port.Receive(frame.Span);
        machine.NetReceived += onFrame;
        var attached = new MachineNetwork(machine, network, port, onFrame, ownsNetwork);
        if (ownsNetwork)
        {
            // An open TCP flow (NAT or a forward) keeps the machine awake even while no byte moves. On a
            // shared network the flows are not this machine's alone; its frames still count.
            attached._idleProbe = machine.AddIdleProbe(() => new Idle.IdleSample(0, network.Counters.ActiveTcpFlows > 0));
        }

        try
        {
            var config = GuestConfig(options, address, mac);
            if (mac is null && machine.GuestNetwork == Key(config))
            {
                // A pooled machine was configured for exactly this network while it warmed: no round trip.
                Util.PhaseTrace.Mark("network: guest already configured for it");
                return attached;
            }

            await machine.Agent.ConfigureNetworkAsync(config, cancellationToken);
            machine.GuestNetwork = Key(config);
            Util.PhaseTrace.Mark("network: guest configured");
            return attached;
        }
        catch
        {
            await attached.DisposeAsync();
            throw;
        }
    }

    /// <summary>eth0's static configuration for <paramref name="options"/>'s network at <paramref name="address"/>.</summary>
    internal static NetworkConfig GuestConfig(NetworkOptions options, IPAddress address, System.Net.NetworkInformation.PhysicalAddress? mac) => new()
    {
        Address = address,
        PrefixLength = options.PrefixLength,
        Gateway = options.Gateway,
        Dns = [options.Dns],
        Mtu = options.Mtu,
        Mac = mac,
    };

    /// <summary>What a config sets apart from the MAC (a MAC is kept once set), as one comparable string.</summary>
    internal static string Key(NetworkConfig config) => Convert.ToHexString((config with { Mac = null }).Encode());

    /// <summary>Unplugs the NIC and closes the port, and the network too when this object created it.</summary>
    public async ValueTask DisposeAsync()
    {
        _idleProbe?.Dispose();
        _machine.NetReceived -= _onFrame;
        await Port.DisposeAsync();
        if (_ownsNetwork)
        {
            await Network.DisposeAsync();
        }
    }
}
