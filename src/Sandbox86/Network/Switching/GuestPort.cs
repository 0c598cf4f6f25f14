using System.Threading.Channels;

namespace Sandbox86.Network.Switching;

/// <summary>
/// A port whose far side is a guest NIC (VM frame channel or WebSocket). Outbound frames wait in a bounded queue
/// drained by one pump task, so a slow guest only ever loses its own frames.
/// </summary>
internal sealed class GuestPort : SwitchPortBase, INetworkPort
{
    private readonly EthernetSwitch _switch;
    private readonly Func<ReadOnlyMemory<byte>, ValueTask> _deliver;
    private readonly Channel<ReadOnlyMemory<byte>> _queue;
    private readonly DropCounters _drops = new();
    private readonly Task _pump;
    private long _framesIn, _bytesIn, _framesOut, _bytesOut;
    private int _disposed;

    public GuestPort(EthernetSwitch sw, string name, Func<ReadOnlyMemory<byte>, ValueTask> deliver, int capacity)
        : base(name)
    {
        _switch = sw;
        _deliver = deliver;
        _queue = Channel.CreateBounded<ReadOnlyMemory<byte>>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _pump = Task.Run(PumpAsync);
    }

    public PortCounters Counters => new(Name, Interlocked.Read(ref _framesIn), Interlocked.Read(ref _bytesIn),
        Interlocked.Read(ref _framesOut), Interlocked.Read(ref _bytesOut), _drops.Snapshot());

    public void CountDrop(DropReason reason) => _drops.Add(reason);

    public void Receive(ReadOnlySpan<byte> frameFromGuest)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        Interlocked.Increment(ref _framesIn);
        Interlocked.Add(ref _bytesIn, frameFromGuest.Length);
        _switch.FromGuest(this, frameFromGuest);
    }

    public override void Deliver(ReadOnlyMemory<byte> frame, SwitchPortBase? ingress)
    {
        if (!_queue.Writer.TryWrite(frame))
        {
            _drops.Add(DropReason.QueueFull);
        }
    }

    private async Task PumpAsync()
    {
        await foreach (var frame in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await _deliver(frame).ConfigureAwait(false);
                Interlocked.Increment(ref _framesOut);
                Interlocked.Add(ref _bytesOut, frame.Length);
            }
#pragma warning disable CA1031 // A failing consumer loses the frame, never the pump.
            catch (Exception)
#pragma warning restore CA1031
            {
                _drops.Add(DropReason.QueueFull);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _switch.Detach(this);
        _queue.Writer.TryComplete();
        try
        {
            // A consumer stuck in its delivery callback must not hang the network's shutdown.
            await _pump.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }
}
