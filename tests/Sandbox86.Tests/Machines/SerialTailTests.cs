using System.Text;
using Sandbox86.Machines;

namespace Sandbox86.Tests.Machines;

public sealed class SerialTailTests
{
    [Fact]
    public void Keeps_only_the_last_4_KiB_and_blanks_control_characters()
    {
        var tail = new SerialTail();
        tail.Append(Encoding.ASCII.GetBytes(new string('x', 10_000)));
        tail.Append("\u001b[6nboot ok\n"u8);
        var text = tail.ToString();
        Assert.True(text.Length <= 4096);
        Assert.EndsWith("boot ok", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', text);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(11)]
    public void A_panic_marker_is_found_however_the_console_bytes_are_split(int piece)
    {
        var tail = new SerialTail();
        var text = Encoding.ASCII.GetBytes("[ 0.1] boot\n[ 1.2] Kernel panic - not syncing: Attempted to kill init!\n");
        for (var offset = 0; offset < text.Length; offset += piece)
        {
            tail.Append(text.AsSpan(offset, Math.Min(piece, text.Length - offset)));
        }

        Assert.True(tail.Panicked.IsCompleted);
    }

    [Fact]
    public void Console_text_without_the_marker_is_no_panic()
    {
        var tail = new SerialTail();
        tail.Append("Kernel pa"u8);
        tail.Append("ge tables ok; no panic here\n"u8);
        Assert.False(tail.Panicked.IsCompleted);
    }
}
