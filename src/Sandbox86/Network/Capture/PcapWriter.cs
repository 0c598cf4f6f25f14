using System.Buffers.Binary;

namespace Sandbox86.Network.Capture;

/// <summary>Writes frames to a classic pcap file (microsecond timestamps, LINKTYPE_ETHERNET = 1).</summary>
internal sealed class PcapWriter : IDisposable
{
    private const int SnapLength = 65535;
    private readonly Stream _stream;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();

    public PcapWriter(Stream stream, TimeProvider time)
    {
        _stream = stream;
        _time = time;
        Span<byte> h = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(h, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], 4);
        BinaryPrimitives.WriteInt32LittleEndian(h[8..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], SnapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], 1);
        _stream.Write(h);
    }

    public static PcapWriter Open(string path, TimeProvider time) =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16), time);

    public void Write(ReadOnlySpan<byte> frame)
    {
        var now = _time.GetUtcNow();
        var us = (now.ToUnixTimeMilliseconds() * 1000) + (now.Ticks % TimeSpan.TicksPerMillisecond / 10);
        var captured = Math.Min(frame.Length, SnapLength);
        Span<byte> h = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(h, (uint)(us / 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)(us % 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], (uint)captured);
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], (uint)frame.Length);
        lock (_lock)
        {
            _stream.Write(h);
            _stream.Write(frame[..captured]);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _stream.Flush();
            _stream.Dispose();
        }
    }
}
