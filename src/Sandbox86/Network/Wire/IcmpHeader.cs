using System.Buffers.Binary;

namespace Sandbox86.Network.Wire;

/// <summary>ICMPv4 header (RFC 792); for echo the rest-of-header is identifier and sequence.</summary>
internal readonly record struct IcmpHeader(byte Type, byte Code, ushort Identifier, ushort Sequence)
{
    public const int Length = 8;
    public const byte EchoReply = 0;
    public const byte DestinationUnreachable = 3;
    public const byte EchoRequest = 8;

    /// <summary>Parses a whole ICMP message, verifying the checksum over header and payload.</summary>
    public static bool TryParse(ReadOnlySpan<byte> message, out IcmpHeader header, out DropReason reason)
    {
        header = default;
        if (message.Length < Length)
        {
            reason = DropReason.Truncated;
            return false;
        }

        if (Checksum.Compute(message) != 0)
        {
            reason = DropReason.BadChecksum;
            return false;
        }

        header = new IcmpHeader(message[0], message[1], BinaryPrimitives.ReadUInt16BigEndian(message[4..]),
            BinaryPrimitives.ReadUInt16BigEndian(message[6..]));
        reason = default;
        return true;
    }

    /// <summary>Writes the header into the first 8 bytes and the checksum over the whole message.</summary>
    public void Write(Span<byte> message)
    {
        message[0] = Type;
        message[1] = Code;
        message[2] = 0;
        message[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(message[4..], Identifier);
        BinaryPrimitives.WriteUInt16BigEndian(message[6..], Sequence);
        BinaryPrimitives.WriteUInt16BigEndian(message[2..], Checksum.Compute(message));
    }
}
