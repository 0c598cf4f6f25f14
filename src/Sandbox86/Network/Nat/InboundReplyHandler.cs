namespace Sandbox86.Network.Nat;

/// <summary>Offers a guest datagram to the inbound UDP forwards first; true when one of them took it.</summary>
internal delegate bool InboundReplyHandler(FlowKey key, ReadOnlySpan<byte> data);
