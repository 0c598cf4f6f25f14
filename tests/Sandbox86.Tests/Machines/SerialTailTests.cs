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
}
