using System.Buffers.Binary;

namespace Sandbox86.Network.Wire;

/// <summary>Ethernet II header (no FCS, no VLAN tag: tagged frames are unsupported).</summary>
internal readonly record struct EthernetHeader(MacAddress Destination, MacAddress Source, ushort EtherType)
{
    public const int Length = 14;

    /// <summary>v86's NICs and the relay protocol carry at most a jumbo-ish frame; anything larger is hostile.</summary>
    public const int MaxFrame = 65535 + Length;

    public static bool TryParse(ReadOnlySpan<byte> frame, out EthernetHeader header, out DropReason reason)
    {
        header = default;
        if (frame.Length < Length)
        {
            reason = DropReason.Truncated;
            return false;
        }

        if (frame.Length > MaxFrame)
        {
            reason = DropReason.Oversize;
            return false;
        }

        var type = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        if (type < 0x0600)
        {
            // An 802.3 length field, not an EtherType.
            reason = DropReason.Unsupported;
            return false;
        }

        header = new EthernetHeader(MacAddress.Read(frame), MacAddress.Read(frame[6..]), type);
        reason = default;
        return true;
    }

    public void Write(Span<byte> frame)
    {
        Destination.Write(frame);
        Source.Write(frame[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], EtherType);
    }
}
