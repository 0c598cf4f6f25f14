using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sandbox86.Machines.Worker;

/// <summary>
/// One Node process hosting one v86 VM, and the framed pipe to it (u32 LE length, type byte, payload).
/// Everything the worker sends is parsed defensively: a frame over <see cref="MaxInboundFrame"/> or an
/// unparsable event kills the worker rather than letting it grow our memory. One read loop parses frames
/// and hands them to <see cref="Channels"/> (bounded per-channel queues with their own consumers); it
/// never runs a consumer itself, and whatever ends it fails the worker with the reason.
/// </summary>
internal sealed partial class WorkerProcess : IWorkerConnection, Guest.IGuestTree
{
    /// <summary>Serial batches, agent chunks and Ethernet frames are all far below this.</summary>
    internal const int MaxInboundFrame = 4 * 1024 * 1024;

    /// <summary>The worker drops any frame over 1 MiB; we chunk below it.</summary>
    internal const int MaxOutboundPayload = 512 * 1024;

    private readonly Process _process;
    private readonly Stream _stdin;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<bool> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonObject>> _pendingRequests = new();
    private readonly TaskCompletionSource<WorkerException> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StringBuilder _stderrTail = new();
    private readonly Task _readLoop;
    private int _nextRequestId;
    private int _disposed;

    private WorkerProcess(Process process)
    {
        _process = process;
        _stdin = process.StandardInput.BaseStream;
        PipeCapacity.TryGrow(_stdin);
        PipeCapacity.TryGrow(process.StandardOutput.BaseStream);
        process.ErrorDataReceived += (_, e) => AppendStderr(e.Data);
        process.BeginErrorReadLine();
        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <summary>The guest's serial, console-port and net output, queued per channel (never raised on the read loop).</summary>
    public WorkerChannels Channels { get; } = new(Enumerable.Range(0, WorkerConsolePorts.Count));

    /// <summary>Completes with the reason when the worker is gone (exit, crash, protocol error).</summary>
    public Task<WorkerException> Exited => _exited.Task;

    public int ProcessId => _process.Id;

    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>Starts a worker from <see cref="Runtime.RuntimeAssets.Default"/> and waits until Node has loaded v86.</summary>
    public static Task<WorkerProcess> StartAsync(CancellationToken cancellationToken) => StartAsync(Runtime.RuntimeAssets.Default, cancellationToken);

    /// <summary>Starts the worker <paramref name="assets"/> name and waits until Node has loaded v86.</summary>
    public static Task<WorkerProcess> StartAsync(Runtime.RuntimeAssets assets, CancellationToken cancellationToken)
    {
        var script = assets.WorkerScript;
        if (!File.Exists(script))
        {
            throw new WorkerException($"worker script not found at {script} ({assets.Origin})");
        }

        // Node 20 has no global WebSocket, which v86's relay_url backend needs; 22+ has it by default.
        return StartAsync(assets.NodeExecutable, ["--experimental-websocket", "--no-warnings", script], TimeSpan.FromSeconds(30), cancellationToken);
    }

    /// <summary>Starts any program speaking the worker protocol (tests use scripted fakes).</summary>
    internal static async Task<WorkerProcess> StartAsync(string executable, IEnumerable<string> arguments, TimeSpan readyTimeout, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            process.Dispose();
            throw new WorkerException($"cannot start {psi.FileName}: {e.Message}", e);
        }

        var worker = new WorkerProcess(process);
        try
        {
            await worker._ready.Task.WaitAsync(readyTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            await worker.DisposeAsync();
            throw new WorkerException($"the VM worker did not start within {readyTimeout.TotalSeconds:0}s");
        }
        catch
        {
            await worker.DisposeAsync();
            throw;
        }

        return worker;
    }

    /// <summary>
    /// Constructs the VM inside the worker and starts it: boots, or — when <paramref name="state"/> is
    /// given — restores the raw state file it yields. v86 is constructed before that file is awaited so
    /// both happen at once.
    /// </summary>
    public async Task StartVmAsync(WorkerStartConfig config, Task<string>? state, CancellationToken cancellationToken)
    {
        await SendStartUnlessPrimedAsync(config, restore: state is not null, cancellationToken);
        if (state is not null)
        {
            var path = await state;
            await SendControlAsync(new JsonObject { ["op"] = "restore", ["state"] = path }, cancellationToken);
        }

        await WhenNotExited(_started.Task, cancellationToken);
    }

    /// <summary>Asks v86 for its state and waits until the worker has written it (raw) to <paramref name="path"/>.</summary>
    public async Task<long> SaveStateAsync(string path, CancellationToken cancellationToken)
    {
        var reply = await RequestAsync(new JsonObject { ["op"] = "save", ["path"] = path }, cancellationToken);
        Util.PhaseTrace.Mark($"worker: v86 save_state {reply["saveStateMs"]} ms, write {reply["writeMs"]} ms");
        return reply["bytes"]?.GetValue<long>() ?? 0;
    }

    /// <summary>Stops v86; returns once its current tick has ended (the worker's "suspended" event).</summary>
    public Task SuspendAsync(CancellationToken cancellationToken) =>
        RequestAsync(new JsonObject { ["op"] = "suspend" }, cancellationToken);

    /// <summary>Runs v86 again (the worker's "resumed" event).</summary>
    public Task ResumeAsync(CancellationToken cancellationToken) =>
        RequestAsync(new JsonObject { ["op"] = "resume" }, cancellationToken);

    /// <summary>Resident memory of the worker process, as Node reports it.</summary>
    public async Task<long> GetRssAsync(CancellationToken cancellationToken) => (await GetStatsAsync(cancellationToken)).RssBytes;

    /// <summary>The worker's memory and its own stdout queue (what it dropped or paused the guest for).</summary>
    public async Task<WorkerStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        var reply = await RequestAsync(new JsonObject { ["op"] = "stats" }, cancellationToken);
        return new WorkerStats
        {
            RssBytes = Long(reply, "rss"),
            QueuedBytes = Long(reply, "queuedBytes"),
            PeakQueuedBytes = Long(reply, "peakQueuedBytes"),
            SerialBytesDropped = Long(reply, "droppedSerialBytes"),
            NetFramesDropped = Long(reply, "droppedNetFrames"),
            UnreadyConsoleBytesDropped = Long(reply, "droppedUnreadyConsoleBytes"),
            LogLinesSuppressed = Long(reply, "suppressedLogLines"),
            GuestPauses = Long(reply, "pauses"),
            Instructions = Long(reply, "instructions"),
        };

        static long Long(JsonObject reply, string name) => reply[name] is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0;
    }

    public Task SendSerialAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
        SendChunkedAsync(WorkerFrameType.Serial, null, bytes, cancellationToken);

    public Task SendConsoleAsync(int port, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(port, WorkerConsolePorts.Count);
        return SendChunkedAsync(WorkerFrameType.Console, (byte)port, bytes, cancellationToken);
    }

    public Task SendNetAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken) =>
        SendFrameAsync(WorkerFrameType.Net, null, frame, cancellationToken);

    private Task<JsonObject> RequestAsync(JsonObject message, CancellationToken cancellationToken) =>
        RequestAsync(message, Interlocked.Increment(ref _nextRequestId), cancellationToken);

    private async Task<JsonObject> RequestAsync(JsonObject message, int id, CancellationToken cancellationToken)
    {
        var tcs = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pendingRequests[id] = tcs;
        message["id"] = id;
        try
        {
            await SendControlAsync(message, cancellationToken);
            return await WhenNotExited(tcs.Task, cancellationToken);
        }
        finally
        {
            _pendingRequests.TryRemove(id, out _);
        }
    }

    private async Task<T> WhenNotExited<T>(Task<T> task, CancellationToken cancellationToken)
    {
        var finished = await Task.WhenAny(task, _exited.Task).WaitAsync(cancellationToken);
        if (finished == task)
        {
            return await task;
        }

        throw await _exited.Task;
    }

    private Task SendControlAsync(JsonObject message, CancellationToken cancellationToken) =>
        SendFrameAsync(WorkerFrameType.Control, null, Encoding.UTF8.GetBytes(message.ToJsonString()), cancellationToken);

    private async Task SendChunkedAsync(WorkerFrameType type, byte? port, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        for (var offset = 0; offset < bytes.Length; offset += MaxOutboundPayload)
        {
            var length = Math.Min(MaxOutboundPayload, bytes.Length - offset);
            await SendFrameAsync(type, port, bytes.Slice(offset, length), cancellationToken);
        }
    }

    /// <summary>One frame; a console frame's payload starts with its port byte.</summary>
    private async Task SendFrameAsync(WorkerFrameType type, byte? port, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (_exited.Task.IsCompleted)
        {
            throw await _exited.Task;
        }

        var header = new byte[port is null ? 5 : 6];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)(payload.Length + header.Length - 4));
        header[4] = (byte)type;
        if (port is { } p)
        {
            header[5] = p;
        }

        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await _stdin.WriteAsync(header, cancellationToken);
            await _stdin.WriteAsync(payload, cancellationToken);
            await _stdin.FlushAsync(cancellationToken);
        }
        catch (IOException e)
        {
            Fail(new WorkerException("the VM worker's pipe closed", e));
            throw await _exited.Task;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void AppendStderr(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_stderrTail)
        {
            _stderrTail.AppendLine(line);
            // Keep only the tail: enough for an error message, bounded whatever the worker prints.
            if (_stderrTail.Length > 8192)
            {
                _stderrTail.Remove(0, _stderrTail.Length - 8192);
            }
        }
    }

    internal string StderrTail()
    {
        lock (_stderrTail)
        {
            return _stderrTail.ToString().Trim();
        }
    }

    /// <summary>Kills the worker; every pending call fails with <paramref name="reason"/>.</summary>
    public void Abort(string reason) => Fail(new WorkerException(reason));

    private void Fail(WorkerException reason)
    {
        if (_exited.TrySetResult(reason))
        {
            Channels.Complete(reason);
            _ready.TrySetException(reason);
            _started.TrySetException(reason);
            _constructed.TrySetException(reason);
            foreach (var pending in _pendingRequests.Values)
            {
                pending.TrySetException(reason);
            }

            foreach (var pending in _pendingGets.Values)
            {
                pending.TrySetException(reason);
            }

            TryKill();
        }
    }

    private void TryKill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Already gone or not ours to kill any more.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (!_exited.Task.IsCompleted)
        {
            try
            {
                // Closing stdin is the worker's signal to exit; kill if it doesn't within a moment.
                _stdin.Close();
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromMilliseconds(500));
            }
            catch (Exception e) when (e is TimeoutException or IOException or ObjectDisposedException)
            {
                // Fall through to the kill.
            }

            Fail(new WorkerException("the VM was shut down"));
        }

        TryKill();
        try
        {
            await _readLoop.WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (TimeoutException)
        {
            // The read loop ends when the killed process's stdout closes; never block disposal on it.
        }

        _process.Dispose();
        _writeLock.Dispose();
    }
}
