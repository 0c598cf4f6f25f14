using System.Text;

namespace Sandbox86.Machines;

/// <summary>The last few KiB of the guest's serial console, for error messages when a boot fails.</summary>
internal sealed class SerialTail
{
    private const int Capacity = 4096;
    private readonly byte[] _ring = new byte[Capacity];
    private long _written;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        lock (_ring)
        {
            foreach (var b in bytes)
            {
                _ring[_written++ % Capacity] = b;
            }
        }
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
