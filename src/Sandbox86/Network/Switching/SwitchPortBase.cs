namespace Sandbox86.Network.Switching;

/// <summary>Something the switch can hand a frame to: a guest-facing port or the gateway.</summary>
internal abstract class SwitchPortBase(string name)
{
    public string Name { get; } = name;

    /// <summary>Takes a frame from the switch. Must not block; called under the network's lock.</summary>
    public abstract void Deliver(ReadOnlyMemory<byte> frame, SwitchPortBase? ingress);
}
