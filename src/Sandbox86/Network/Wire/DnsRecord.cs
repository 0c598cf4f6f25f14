namespace Sandbox86.Network.Wire;

/// <summary>A resource record; <see cref="Data"/> is the raw RDATA (A = 4 bytes, AAAA = 16).</summary>
internal sealed record DnsRecord(string Name, ushort Type, ushort Class, uint Ttl, ReadOnlyMemory<byte> Data)
{
    public const ushort TypeA = 1;
    public const ushort TypeCname = 5;
    public const ushort TypeAaaa = 28;

    public bool Equals(DnsRecord? other) =>
        other is not null && Name == other.Name && Type == other.Type && Class == other.Class && Ttl == other.Ttl
        && Data.Span.SequenceEqual(other.Data.Span);

    public override int GetHashCode() => HashCode.Combine(Name, Type, Class, Ttl, Data.Length);
}
