using System.Threading.Channels;
using Sandbox86.Guest;
using Sandbox86.Server.Envd.Protos.Process;

namespace Sandbox86.Server.Envd.Processes;

/// <summary>
/// A guest process owned by the sandbox's table, not by the HTTP request that started it. One pump reads
/// its output: into the attached stream's bounded channel (awaited, so a slow client stalls the guest
/// through the agent's credit window) or, with nobody attached, into a bounded tail for re-attach.
/// </summary>
internal sealed class TrackedProcess
{
    private const int TailLimit = 64 * 1024;
    private readonly object _gate = new();
    private readonly LinkedList<ExecOutput> _tail = new();
    private int _tailBytes;
    private Channel<ExecOutput>? _subscriber;

    public TrackedProcess(ExecProcess process, ProcessConfig config, string? tag, bool pty)
    {
        Process = process;
        Config = config;
        Tag = tag;
        Pty = pty;
        Pump = Task.Run(PumpAsync);
    }

    public ExecProcess Process { get; }

    public ProcessConfig Config { get; }

    public string? Tag { get; }

    public bool Pty { get; }

    public uint Pid => (uint)Process.Pid;

    /// <summary>Completes when all output has been handed on.</summary>
    public Task Pump { get; }

    /// <summary>Attaches a stream (replacing any earlier one); buffered tail output comes first.</summary>
    public ChannelReader<ExecOutput> Attach()
    {
        var channel = Channel.CreateBounded<ExecOutput>(new BoundedChannelOptions(8) { SingleReader = true, SingleWriter = true });
        lock (_gate)
        {
            _subscriber?.Writer.TryComplete();
            foreach (var item in _tail)
            {
                channel.Writer.TryWrite(item);
            }

            // The tail is at most 64 KiB in at most a few chunks; anything beyond 8 waits in the pump.
            _tail.Clear();
            _tailBytes = 0;
            _subscriber = channel;
            if (Pump.IsCompleted)
            {
                channel.Writer.TryComplete();
            }
        }

        return channel.Reader;
    }

    public void Detach(ChannelReader<ExecOutput> reader)
    {
        lock (_gate)
        {
            if (_subscriber?.Reader == reader)
            {
                _subscriber.Writer.TryComplete();
                _subscriber = null;
            }
        }
    }

    private async Task PumpAsync()
    {
        try
        {
            await foreach (var item in Process.ReadOutputAsync().ConfigureAwait(false))
            {
                Channel<ExecOutput>? target;
                lock (_gate)
                {
                    target = _subscriber;
                    if (target is null)
                    {
                        AppendTail(item);
                        continue;
                    }
                }

                try
                {
                    await target.Writer.WriteAsync(item).ConfigureAwait(false);
                }
                catch (ChannelClosedException)
                {
                    lock (_gate)
                    {
                        AppendTail(item);
                    }
                }
            }
        }
        catch (AgentException)
        {
            // The end (or failure) is reported from Process.Completion.
        }
        finally
        {
            lock (_gate)
            {
                _subscriber?.Writer.TryComplete();
            }
        }
    }

    private void AppendTail(ExecOutput item)
    {
        _tail.AddLast(item);
        _tailBytes += item.Data.Length;
        while (_tailBytes > TailLimit && _tail.First is { } first)
        {
            _tailBytes -= first.Value.Data.Length;
            _tail.RemoveFirst();
        }
    }
}
