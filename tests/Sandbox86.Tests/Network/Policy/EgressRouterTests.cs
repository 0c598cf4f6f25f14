using Sandbox86.TestSupport;
using System.Net;
using Sandbox86.Network;
using Sandbox86.Network.Gateway;
using Sandbox86.Network.Policy;
using Sandbox86.Network.Wire;

namespace Sandbox86.Tests.Network.Policy;

/// <summary>The router alone: every route kind, and every denial counted and logged once, by the router.</summary>
public sealed class EgressRouterTests
{
    private readonly DropCounters _drops = new();
    private readonly ListLogger _log = new();

    private EgressRouter Create(EgressPolicyOptions? policy = null, params int[] hostPorts)
    {
        var ctx = GatewayContext.From(new NetworkOptions(), GatewayStack.Mac, TimeProvider.System, _drops, new object());
        return new EgressRouter(ctx, new EgressPolicy(policy ?? new EgressPolicyOptions()), hostPorts, _log);
    }

    [Fact]
    public void A_listed_gateway_port_goes_to_host_loopback_and_an_unlisted_one_is_denied_and_logged()
    {
        var router = Create(null, 8080);
        Assert.Equal(new EgressRoute(EgressRouteKind.HostLoopback, IPAddress.Loopback), router.Route(FakeGateway, 8080, TransportProtocol.Tcp));
        Assert.Empty(_log.Lines);

        Assert.Equal(EgressRoute.Denied, router.Route(FakeGateway, 8081, TransportProtocol.Udp));
        Assert.Equal(1, _drops[DropReason.PolicyDenied]);
        Assert.Equal("denied udp to the host port 8081 (not among the allowed host ports)", Assert.Single(_log.Lines));
    }

    private static Ipv4Address FakeGateway => Ipv4Address.Parse("10.0.2.2");

    [Theory]
    [InlineData("10.0.2.99")]
    [InlineData("10.0.2.255")]
    [InlineData("255.255.255.255")]
    public void The_guest_subnet_and_broadcast_have_no_route_and_are_not_logged(string address)
    {
        Assert.Equal(EgressRoute.Denied, Create().Route(Ipv4Address.Parse(address), 80, TransportProtocol.Tcp));
        Assert.Equal(1, _drops[DropReason.NoRoute]);
        Assert.Equal(0, _drops[DropReason.PolicyDenied]);
        Assert.Empty(_log.Lines);
    }

    [Fact]
    public void The_policy_decides_on_the_address_dialled()
    {
        var router = Create(new EgressPolicyOptions { Deny = ["203.0.113.0/24"] });
        Assert.Equal(new EgressRoute(EgressRouteKind.Internet, IPAddress.Parse("198.51.100.7")),
            router.Route(Ipv4Address.Parse("198.51.100.7"), 443, TransportProtocol.Tcp));
        Assert.Equal(EgressRoute.Denied, router.Route(Ipv4Address.Parse("203.0.113.9"), 443, TransportProtocol.Tcp));
        Assert.Equal(EgressRoute.Denied, router.Route(Ipv4Address.Parse("169.254.169.254"), 0, TransportProtocol.Udp));
        Assert.Equal(2, _drops[DropReason.PolicyDenied]);
        Assert.Equal(["denied tcp to 203.0.113.9:443 (egress policy)", "denied udp to 169.254.169.254 (egress policy)"], _log.Lines);
    }

    [Fact]
    public void Domain_rules_count_and_log_denied_queries_and_answers_and_pins_feed_the_address_rules()
    {
        var router = Create(new EgressPolicyOptions { Deny = ["evil.example"], Allow = ["ok.example"] });
        Assert.False(router.DeniesQuery(["www.ok.example"]));
        Assert.True(router.DeniesQuery(["a.evil.example", "b.example"]));
        Assert.True(router.DeniesAnswer(["cdn.example", "x.evil.example"]));
        Assert.Equal(2, _drops[DropReason.PolicyDenied]);
        Assert.Equal(["denied DNS query for a.evil.example, b.example (domain policy)", "denied DNS answer naming x.evil.example (domain policy)"], _log.Lines);

        // A private address is denied by default unless a pinned allowed name resolved to it.
        var target = Ipv4Address.Parse("192.168.7.7");
        Assert.Equal(EgressRoute.Denied, router.Route(target, 80, TransportProtocol.Tcp));
        router.Pin("api.ok.example", IPAddress.Parse("192.168.7.7"));
        Assert.Equal(EgressRouteKind.Internet, router.Route(target, 80, TransportProtocol.Tcp).Kind);
    }
}
