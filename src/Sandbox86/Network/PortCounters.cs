namespace Sandbox86.Network;

/// <summary>Counters of one port. "In" is from the guest into the switch, "out" is toward the guest.</summary>
public sealed record PortCounters(string Name, long FramesIn, long BytesIn, long FramesOut, long BytesOut,
    IReadOnlyDictionary<DropReason, long> Drops);
