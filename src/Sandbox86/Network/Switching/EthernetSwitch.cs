using Sandbox86.Network.Capture;
using Sandbox86.Network.Wire;

namespace Sandbox86.Network.Switching;

/// <summary>
/// A learning switch: frames go to the port that last sent from the destination MAC, group frames are flooded,
/// unknown unicast is flooded to guest ports. All calls run under the network's lock.
/// </summary>
internal sealed class EthernetSwitch(object gate, MacAddress gatewayMac, PcapWriter? capture)
{
    private readonly List<SwitchPortBase> _ports = [];
    private readonly Dictionary<MacAddress, SwitchPortBase> _table = [];
    private SwitchPortBase? _gateway;

    public object Gate { get; } = gate;

    public IReadOnlyList<SwitchPortBase> Ports
    {
        get
        {
            lock (Gate)
            {
                return [.. _ports];
            }
        }
    }

    public void AttachGateway(SwitchPortBase gateway)
    {
        lock (Gate)
        {
            _gateway = gateway;
            _ports.Add(gateway);
            _table[gatewayMac] = gateway;
        }
    }

    public GuestPort Attach(string name, Func<ReadOnlyMemory<byte>, ValueTask> deliver, int capacity)
    {
        var port = new GuestPort(this, name, deliver, capacity);
        lock (Gate)
        {
            _ports.Add(port);
        }

        return port;
    }

    public void Detach(SwitchPortBase port)
    {
        lock (Gate)
        {
            _ports.Remove(port);
            foreach (var mac in _table.Where(kv => kv.Value == port).Select(kv => kv.Key).ToList())
            {
                _table.Remove(mac);
            }
        }
    }

    public void FromGuest(GuestPort ingress, ReadOnlySpan<byte> frame)
    {
        if (!EthernetHeader.TryParse(frame, out var eth, out var reason))
        {
            ingress.CountDrop(reason);
            return;
        }

        if (eth.Source.IsGroup || eth.Source.IsZero || eth.Source == gatewayMac)
        {
            ingress.CountDrop(DropReason.BadSource);
            return;
        }

        var copy = frame.ToArray();
        lock (Gate)
        {
            _table[eth.Source] = ingress;
            Forward(ingress, copy, eth.Destination);
        }
    }

    /// <summary>Sends a frame the gateway built toward its destination MAC.</summary>
    public void FromGateway(byte[] frame)
    {
        lock (Gate)
        {
            Forward(_gateway, frame, MacAddress.Read(frame));
        }
    }

    /// <summary>Sends a gateway frame straight to one port (DHCP replies go back where the request came from).</summary>
    public void FromGatewayTo(SwitchPortBase port, byte[] frame)
    {
        lock (Gate)
        {
            capture?.Write(frame);
            if (_ports.Contains(port))
            {
                port.Deliver(frame, _gateway);
            }
        }
    }

    private void Forward(SwitchPortBase? ingress, byte[] frame, MacAddress destination)
    {
        capture?.Write(frame);
        if (!destination.IsGroup && _table.TryGetValue(destination, out var port))
        {
            if (port != ingress)
            {
                port.Deliver(frame, ingress);
            }

            return;
        }

        // Group frames reach everyone including the gateway; unknown unicast only the guests.
        foreach (var p in _ports)
        {
            if (p != ingress && (destination.IsGroup || p != _gateway))
            {
                p.Deliver(frame, ingress);
            }
        }
    }
}
