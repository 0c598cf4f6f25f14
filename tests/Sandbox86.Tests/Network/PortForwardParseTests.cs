using System.Net;
using Sandbox86.Network;

namespace Sandbox86.Tests.Network;

public sealed class PortForwardParseTests
{
    [Theory]
    [InlineData("8080:80", TransportProtocol.Tcp, "127.0.0.1", 8080, 80)]
    [InlineData("5353:53/udp", TransportProtocol.Udp, "127.0.0.1", 5353, 53)]
    [InlineData("0.0.0.0:8080:80/tcp", TransportProtocol.Tcp, "0.0.0.0", 8080, 80)]
    [InlineData("[::1]:2222:22", TransportProtocol.Tcp, "::1", 2222, 22)]
    public void Parses_docker_style_specs(string spec, TransportProtocol protocol, string address, int host, int guest)
    {
        var f = PortForward.Parse(spec);
        Assert.Equal((protocol, IPAddress.Parse(address), host, guest), (f.Protocol, f.HostAddress, f.HostPort, f.GuestPort));
    }

    [Theory]
    [InlineData("80")]
    [InlineData("a:80")]
    [InlineData("8080:0")]
    [InlineData("8080:80/sctp")]
    [InlineData("nohost:8080:80")]
    public void Rejects_bad_specs(string spec) => Assert.Throws<FormatException>(() => PortForward.Parse(spec));
}
