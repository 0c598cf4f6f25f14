using System.Text;

namespace Sandbox86.Machines;

/// <summary>
/// The last few KiB of the guest's serial console, for error messages when a boot fails, and the
/// kernel-panic detector. It is fed inline by the worker's read loop (a fixed ring, no callouts), so
/// unlike the console's observers it never drops bytes however fast the guest writes.
/// </summary>
internal sealed class SerialTail
{
    private const int Capacity = 4096;
    private static readonly byte[] PanicMarker = "Kernel panic"u8.ToArray();

    private readonly byte[] _ring = new byte[Capacity];
    private readonly TaskCompletionSource _panicked = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _written;

    /// <summary>Completes when the guest printed "Kernel panic", also when the marker was split across appends.</summary>
    public Task Panicked => _panicked.Task;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        lock (_ring)
        {
            if (!_panicked.Task.IsCompleted && ContainsPanic(bytes))
            {
                _panicked.TrySetResult();
            }

            foreach (var b in bytes)
            {
                _ring[_written++ % Capacity] = b;
            }
        }
    }

    // The marker either lies inside this chunk or starts in the ring's last few bytes and ends in it.
    private bool ContainsPanic(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IndexOf(PanicMarker) >= 0)
        {
            return true;
        }

        var carry = (int)Math.Min(_written, PanicMarker.Length - 1);
        var head = Math.Min(bytes.Length, PanicMarker.Length - 1);
        Span<byte> seam = stackalloc byte[carry + head];
        for (var i = 0; i < carry; i++)
        {
            seam[i] = _ring[(_written - carry + i) % Capacity];
        }

        bytes[..head].CopyTo(seam[carry..]);
        return seam.IndexOf(PanicMarker) >= 0;
    }

    public override string ToString()
    {
        lock (_ring)
        {
            var count = (int)Math.Min(_written, Capacity);
            var bytes = new byte[count];
            for (var i = 0; i < count; i++)
            {
                bytes[i] = _ring[(_written - count + i) % Capacity];
            }

            var text = Encoding.UTF8.GetString(bytes);
            var printable = new StringBuilder(text.Length);
            foreach (var c in text)
            {
                printable.Append(c is '\n' || !char.IsControl(c) ? c : ' ');
            }

            return printable.ToString().Trim();
        }
    }
}
