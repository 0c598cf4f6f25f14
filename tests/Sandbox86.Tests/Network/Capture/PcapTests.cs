using System.Buffers.Binary;
using Sandbox86.Network;
using Sandbox86.Network.Gateway;
using Sandbox86.Network.Wire;
using Sandbox86.Tests.Network.Fakes;

namespace Sandbox86.Tests.Network.Capture;

public sealed class PcapTests
{
    [Fact]
    public async Task Capture_writes_a_pcap_with_every_frame_crossing_the_switch()
    {
        var path = Path.Combine(Path.GetTempPath(), $"s86-{Guid.NewGuid():N}.pcap");
        try
        {
            await using (var net = new VirtualNetwork(new NetworkOptions { PcapPath = path }))
            {
                await using var g = new FakeGuest(net);
                g.Send(FrameBuilder.Icmp(GatewayStack.Mac, g.Mac, g.Ip, FakeGuest.Gateway, new IcmpHeader(IcmpHeader.EchoRequest, 0, 1, 1), [1, 2]));
                await g.ExpectAsync(r => r.Icmp is not null);
            }

            var b = await File.ReadAllBytesAsync(path);
            Assert.Equal(0xa1b2c3d4u, BinaryPrimitives.ReadUInt32LittleEndian(b));
            Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(20)));
            var records = 0;
            for (var at = 24; at < b.Length; records++)
            {
                var len = (int)BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at + 8));
                Assert.True(EthernetHeader.TryParse(b.AsSpan(at + 16, len), out _, out _));
                at += 16 + len;
            }

            Assert.Equal(2, records);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
