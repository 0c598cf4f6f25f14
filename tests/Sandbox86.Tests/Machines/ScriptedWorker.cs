using Sandbox86.Guest;
using Sandbox86.Machines.Worker;
using Sandbox86.Tests.Guest;

namespace Sandbox86.Tests.Machines;

/// <summary>What one scripted worker does when the machine starts its VM.</summary>
internal sealed record WorkerScript
{
    /// <summary>v86 fails to start or restore (as a corrupt state makes it).</summary>
    public bool FailStart { get; init; }

    /// <summary>Whether a guest agent answers on port 1 (a panicked kernel never starts one).</summary>
    public bool AgentAnswers { get; init; } = true;

    /// <summary>Serial chunks the "guest" prints once started, in order.</summary>
    public IReadOnlyList<string> Serial { get; init; } = [];

    /// <summary>What <c>save</c> writes as the raw state.</summary>
    public byte[] RawState { get; init; } = [.. Enumerable.Range(0, 100_000).Select(i => (byte)(i * 7 % 251))];
}

/// <summary>
/// A fake VM worker for <c>Machine</c>: it does what its <see cref="WorkerScript"/> says, and behind port 1
/// runs a <see cref="ScriptedAgent"/> that answers hello, ping, clock/entropy and exec (exit 0). Bytes
/// reach the machine through the same <see cref="WorkerChannels"/> the real read loop feeds.
/// </summary>
internal sealed class ScriptedWorker : IWorkerConnection
{
    private static int _nextPid = 40_000;
    private readonly WorkerScript _script;
    private readonly ScriptedAgent _agent = new();
    private readonly TaskCompletionSource<WorkerException> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];

    public ScriptedWorker(WorkerScript script)
    {
        _script = script;
    }

    public WorkerChannels Channels { get; } = new(Enumerable.Range(0, WorkerConsolePorts.Count));

    public Task<WorkerException> Exited => _exited.Task;

    public bool HasExited => _exited.Task.IsCompleted;

    public int ProcessId { get; } = Interlocked.Increment(ref _nextPid);

    /// <summary>The start request, once made.</summary>
    public WorkerStartConfig? Config { get; private set; }

    /// <summary>The raw state bytes the machine asked this worker to restore.</summary>
    public byte[]? RestoredState { get; private set; }

    private int _execCount;
    // Open while the "emulator" runs: a suspended guest answers nothing until it is resumed.
    private volatile TaskCompletionSource _running = CompletedGate();
    private int _suspends;
    private int _resumes;

    private static TaskCompletionSource CompletedGate()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult();
        return gate;
    }

    public bool Suspended => !_running.Task.IsCompleted;

    /// <summary>Closes the gate without a suspend: the guest hangs (the watchdog's case).</summary>
    public void StopAnswering() => _running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Suspends => Volatile.Read(ref _suspends);

    public int Resumes => Volatile.Read(ref _resumes);

    /// <summary>Every SetClock the agent answered (a resume resyncs the clock).</summary>
    public int ClockSets => Volatile.Read(ref _clockSets);

    /// <summary>Every entropy reseed the agent answered, with its bytes.</summary>
    public List<byte[]> Reseeds { get; } = [];

    private int _clockSets;

    /// <summary>Every network config the agent answered, as its TLV payload.</summary>
    public List<byte[]> NetConfigs { get; } = [];

    public int ExecCount => Volatile.Read(ref _execCount);

    public async Task StartVmAsync(WorkerStartConfig config, Task<string>? state, CancellationToken cancellationToken)
    {
        Config = config with { Restore = state is not null };
        if (state is not null)
        {
            RestoredState = await File.ReadAllBytesAsync(await state, cancellationToken);
        }

        if (_script.FailStart)
        {
            throw new WorkerException("v86 start failed: scripted failure");
        }

        foreach (var chunk in _script.Serial)
        {
            Channels.OnSerial(System.Text.Encoding.ASCII.GetBytes(chunk));
        }

        if (_script.AgentAnswers)
        {
            _loops.Add(Task.Run(() => AnswerAsync(_stop.Token), CancellationToken.None));
            _loops.Add(Task.Run(() => PumpAsync(_stop.Token), CancellationToken.None));
        }
    }

    // The agent's side: answer what the machine asks.
    private async Task AnswerAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var frame = await _agent.ReadFrameAsync(cancellationToken);
                await _running.Task.WaitAsync(cancellationToken);
                switch (frame.Type)
                {
                    case AgentMessageType.HelloRequest:
                        await _agent.SendHelloAsync(frame.Stream);
                        break;
                    case AgentMessageType.Ping:
                        await _agent.SendAsync(AgentMessageType.Pong, frame.Stream, frame.Payload);
                        break;
                    case AgentMessageType.SetClock or AgentMessageType.Reseed or AgentMessageType.NetConfig:
                        if (frame.Type == AgentMessageType.SetClock)
                        {
                            Interlocked.Increment(ref _clockSets);
                        }
                        else if (frame.Type == AgentMessageType.NetConfig)
                        {
                            lock (NetConfigs)
                            {
                                NetConfigs.Add(frame.Payload.ToArray());
                            }
                        }
                        else if (frame.Type == AgentMessageType.Reseed)
                        {
                            lock (Reseeds)
                            {
                                Reseeds.Add(frame.Payload.ToArray());
                            }
                        }

                        await _agent.SendAsync(AgentMessageType.Ok, frame.Stream, ReadOnlyMemory<byte>.Empty);
                        break;
                    case AgentMessageType.Exec:
                        Interlocked.Increment(ref _execCount);
                        await _agent.SendAsync(AgentMessageType.Started, frame.Stream, new TlvWriter().UInt32(AgentTag.Pid, 7).ToArray());
                        await _agent.SendAsync(AgentMessageType.Exit, frame.Stream, new TlvWriter().UInt32(AgentTag.ExitCode, 0).ToArray());
                        break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or EndOfStreamException or ObjectDisposedException or IOException)
        {
            // Shut down.
        }
    }

    // What the agent writes goes to the machine exactly as the read loop would deliver it.
    private async Task PumpAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[65536];
        try
        {
            while (true)
            {
                var n = await _agent.HostSide.ReadAsync(buffer, cancellationToken);
                if (n == 0)
                {
                    return;
                }

                await Channels.OnConsoleAsync(WorkerConsolePorts.Agent, buffer.AsMemory(0, n).ToArray(), cancellationToken);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or IOException)
        {
            // Shut down.
        }
    }

    public async Task<long> SaveStateAsync(string path, CancellationToken cancellationToken)
    {
        await File.WriteAllBytesAsync(path, _script.RawState, cancellationToken);
        return _script.RawState.Length;
    }

    public async Task SuspendAsync(CancellationToken cancellationToken)
    {
        if (HasExited)
        {
            throw await Exited;
        }

        Interlocked.Increment(ref _suspends);
        if (_running.Task.IsCompleted)
        {
            _running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public async Task ResumeAsync(CancellationToken cancellationToken)
    {
        if (HasExited)
        {
            throw await Exited;
        }

        Interlocked.Increment(ref _resumes);
        _running.TrySetResult();
    }

    public Task<long> GetRssAsync(CancellationToken cancellationToken) => Task.FromResult(300L << 20);

    public Task SendSerialAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task SendConsoleAsync(int port, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        if (HasExited)
        {
            throw await Exited;
        }

        if (port == WorkerConsolePorts.Agent && _script.AgentAnswers)
        {
            await _agent.HostSide.WriteAsync(bytes, cancellationToken);
        }
    }

    public Task SendNetAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken) => Task.CompletedTask;

    public void Abort(string reason) => Fail(new WorkerException(reason));

    private void Fail(WorkerException reason)
    {
        if (_exited.TrySetResult(reason))
        {
            Channels.Complete(reason);
            _stop.Cancel();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Fail(new WorkerException("the VM was shut down"));
        await Task.WhenAll(_loops);
        await _agent.DisposeAsync();
        _stop.Dispose();
    }
}

/// <summary>Hands out scripted workers in order (one per VM start) and remembers them.</summary>
internal sealed class ScriptedWorkers
{
    private readonly Queue<WorkerScript> _scripts;

    private readonly Func<WorkerScript>? _any;

    public ScriptedWorkers(params WorkerScript[] scripts)
    {
        _scripts = new Queue<WorkerScript>(scripts);
    }

    /// <summary>As many workers as asked for, each from <paramref name="any"/> (a pool starts an open-ended number).</summary>
    public ScriptedWorkers(Func<WorkerScript> any)
    {
        _scripts = new Queue<WorkerScript>();
        _any = any;
    }

    public List<ScriptedWorker> Started { get; } = [];

    /// <summary>A copy of <see cref="Started"/>, safe while workers are still being started.</summary>
    public ScriptedWorker[] Snapshot()
    {
        lock (Started)
        {
            return [.. Started];
        }
    }

    public Task<IWorkerConnection> StartAsync(CancellationToken cancellationToken)
    {
        WorkerScript script;
        lock (_scripts)
        {
            script = _scripts.Count > 0 ? _scripts.Dequeue() : _any is not null ? _any() : throw new InvalidOperationException("the machine started more workers than the test scripted");
        }

        var worker = new ScriptedWorker(script);
        lock (Started)
        {
            Started.Add(worker);
        }

        return Task.FromResult<IWorkerConnection>(worker);
    }
}
