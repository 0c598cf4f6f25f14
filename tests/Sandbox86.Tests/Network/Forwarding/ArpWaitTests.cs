using Sandbox86.Network;
using Sandbox86.Network.Forwarding;
using Sandbox86.Network.Gateway;
using Sandbox86.Network.Switching;
using Sandbox86.Network.Wire;
using Sandbox86.Tests.Network.Fakes;

namespace Sandbox86.Tests.Network.Forwarding;

/// <summary>The inbound forward's wait for the guest's MAC runs on the network's clock: tested by moving a fake clock, no sleeps.</summary>
public sealed class ArpWaitTests
{
    private static readonly Ipv4Address Guest = Ipv4Address.Parse("10.0.2.15");

    private sealed class Resolver : IGuestResolver
    {
        public int Requests;
        public MacAddress? Known;

        public Ipv4Address DefaultGuest => Guest;

        public bool TryGetMac(Ipv4Address ip, out MacAddress mac)
        {
            mac = Known ?? default;
            return Known is not null && ip == Guest;
        }

        public void RequestMac(Ipv4Address ip) => Interlocked.Increment(ref Requests);
    }

    private static ForwardManager Create(ManualTimeProvider time, Resolver resolver)
    {
        var gate = new object();
        var ctx = GatewayContext.From(new NetworkOptions(), GatewayStack.Mac, time, new DropCounters(), gate);
        var emit = new FrameEmitter(new EthernetSwitch(gate, GatewayStack.Mac, null), GatewayStack.Mac);
        return new ForwardManager(ctx, [], resolver, emit, (s, _, _, _) => s.Dispose());
    }

    [Fact]
    public async Task An_unknown_guest_is_given_up_after_the_attempts_on_the_clock_asking_every_fifth()
    {
        var time = new ManualTimeProvider(manualTimers: true);
        var resolver = new Resolver();
        using var forwards = Create(time, resolver);
        var wait = forwards.ResolveAsync(Guest, CancellationToken.None);
        for (var i = 0; i < ForwardManager.ArpAttempts; i++)
        {
            await time.WaitForTimersAsync();
            Assert.False(wait.IsCompleted);
            // Just short of the interval nothing moves: the wait is on this clock, not on a real delay.
            time.Advance(ForwardManager.ArpRetryInterval - TimeSpan.FromTicks(1));
            Assert.Equal(1, time.PendingTimers);
            time.Advance(TimeSpan.FromTicks(1));
        }

        Assert.Null(await wait.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(ForwardManager.ArpAttempts / 5, resolver.Requests);
    }

    [Fact]
    public async Task A_guest_that_answers_is_found_on_the_next_tick()
    {
        var time = new ManualTimeProvider(manualTimers: true);
        var resolver = new Resolver();
        using var forwards = Create(time, resolver);
        var wait = forwards.ResolveAsync(Guest, CancellationToken.None);
        await time.WaitForTimersAsync();
        Assert.Equal(1, resolver.Requests);
        time.Advance(ForwardManager.ArpRetryInterval);
        await time.WaitForTimersAsync();

        resolver.Known = new MacAddress(0x5254_0012_3456);
        time.Advance(ForwardManager.ArpRetryInterval);
        Assert.Equal(new MacAddress(0x5254_0012_3456), await wait.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, resolver.Requests);
        Assert.Equal(0, time.PendingTimers);
    }
}
