using Sandbox86.Guest;

namespace Sandbox86.Tests.Guest;

public sealed class SendWindowTests
{
    [Fact]
    public void Nothing_may_be_sent_before_the_hello()
    {
        var w = new SendWindow(8);
        Assert.Equal(0, w.AvailableNow(4096));
        Assert.False(w.WaitAsync(4096, CancellationToken.None).AsTask().IsCompleted);
    }

    [Fact]
    public async Task Window_shrinks_with_writes_and_reopens_with_credit()
    {
        var w = new SendWindow(8);
        w.Reset(10000);
        Assert.Equal(4096, w.AvailableNow(4096));
        w.Charge(4096);
        w.Charge(4096);
        Assert.Equal(10000 - 8192, w.AvailableNow(4096));
        w.Charge(1808);
        Assert.Equal(0, w.AvailableNow(4096));
        var waiter = w.WaitAsync(4096, CancellationToken.None).AsTask();
        Assert.False(waiter.IsCompleted);
        w.Credit(3000);
        Assert.Equal(3000, await waiter.WaitAsync(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void Small_writes_are_limited_by_count_not_only_bytes()
    {
        var w = new SendWindow(3);
        w.Reset(16384);
        w.Charge(10);
        w.Charge(10);
        w.Charge(10);
        Assert.Equal(0, w.AvailableNow(4096)); // three receive buffers in use, however small
        w.Credit(10);
        Assert.True(w.AvailableNow(4096) > 0);
    }

    [Fact]
    public void Credit_beyond_what_was_sent_does_not_widen_the_window()
    {
        var w = new SendWindow(8);
        w.Reset(1000);
        w.Charge(100);
        w.Credit(1_000_000);
        Assert.Equal(1000, w.AvailableNow(4096));
        Assert.Equal(0, w.InFlight);
    }
}
