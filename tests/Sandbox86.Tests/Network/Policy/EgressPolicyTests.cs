using System.Net;
using Sandbox86.Network;
using Sandbox86.Network.Policy;

namespace Sandbox86.Tests.Network.Policy;

public sealed class EgressPolicyTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.5.5.5")]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.0.10")]
    [InlineData("100.64.0.1")]
    [InlineData("169.254.169.254")]
    [InlineData("224.0.0.251")]
    [InlineData("255.255.255.255")]
    [InlineData("0.0.0.0")]
    [InlineData("::1")]
    [InlineData("fd00::1")]
    [InlineData("fe80::1")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    public void Local_and_special_destinations_are_denied_by_default(string address) =>
        Assert.False(new EgressPolicy(new EgressPolicyOptions()).Allows(IPAddress.Parse(address)));

    [Theory]
    [InlineData("93.184.216.34")]
    [InlineData("172.32.0.1")]
    [InlineData("2606:4700::1111")]
    public void Public_destinations_are_allowed_by_default(string address) =>
        Assert.True(new EgressPolicy(new EgressPolicyOptions()).Allows(IPAddress.Parse(address)));

    [Fact]
    public void Allow_cidr_overrides_default_deny_and_deny_cidr_overrides_allow()
    {
        var p = new EgressPolicy(new EgressPolicyOptions { Allow = ["127.0.0.1/32", "192.168.0.0/16"], Deny = ["192.168.7.0/24", "198.51.100.9"] });
        Assert.True(p.Allows(IPAddress.Parse("127.0.0.1")));
        Assert.False(p.Allows(IPAddress.Parse("127.0.0.2")));
        Assert.True(p.Allows(IPAddress.Parse("192.168.1.1")));
        Assert.False(p.Allows(IPAddress.Parse("192.168.7.1")));
        Assert.False(p.Allows(IPAddress.Parse("198.51.100.9")));
        Assert.True(p.Allows(IPAddress.Parse("198.51.100.10")));
    }

    [Fact]
    public void Domain_rules_apply_only_to_addresses_this_network_resolved()
    {
        var p = new EgressPolicy(new EgressPolicyOptions { Allow = ["internal.test"], Deny = ["bad.test"] });
        var internalAddr = IPAddress.Parse("10.9.9.9");
        var badAddr = IPAddress.Parse("203.0.113.66");
        Assert.False(p.Allows(internalAddr));
        Assert.True(p.Allows(badAddr));
        p.Pins.Pin("api.internal.test", internalAddr);
        p.Pins.Pin("www.bad.test", badAddr);
        Assert.True(p.Allows(internalAddr));
        Assert.False(p.Allows(badAddr));
        Assert.True(p.IsDomainDenied("x.bad.test"));
        Assert.False(p.IsDomainDenied("notbad.test"));
    }

    [Fact]
    public void Default_deny_can_be_switched_off()
    {
        var p = new EgressPolicy(new EgressPolicyOptions { DenyLocalByDefault = false });
        Assert.True(p.Allows(IPAddress.Parse("10.0.0.1")));
    }

    [Fact]
    public void Total_byte_limit_and_bandwidth_are_enforced()
    {
        var time = new Fakes.ManualTimeProvider();
        var l = new FlowLimiter(new NetworkLimits { MaxTotalBytes = 1000, MaxBytesPerSecond = 500 }, time);
        Assert.Equal(TimeSpan.Zero, l.Account(400));
        Assert.True(l.Account(400) > TimeSpan.Zero);
        Assert.True(l.TryAcquireFlow());
        l.Account(400);
        Assert.True(l.IsTotalExhausted);
        Assert.False(l.TryAcquireFlow());
    }
}
