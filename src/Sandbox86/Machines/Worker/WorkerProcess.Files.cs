using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Sandbox86.Machines.Worker;

/// <summary>
/// The bulk file path through v86's 9p tree (<see cref="Guest.IGuestTree"/>): a put streams the file to
/// the worker in pipe-sized pieces and v86 creates it in one step once all have arrived; a get asks for
/// the file in pieces of <see cref="GetChunk"/> with at most <see cref="GetsInFlight"/> outstanding, so
/// however large the guest's file and however slow the destination, at most that much is held here.
/// </summary>
internal sealed partial class WorkerProcess
{
    /// <summary>Bytes per get; the worker answers at most 1 MiB.</summary>
    internal const int GetChunk = 512 * 1024;

    /// <summary>Gets outstanding at once: enough to keep the pipe busy while the destination writes.</summary>
    internal const int GetsInFlight = 4;

    private readonly ConcurrentDictionary<int, TaskCompletionSource<ReadOnlyMemory<byte>>> _pendingGets = new();
    private long _fileBytesReceived;
    private long _fileBytesSent;

    /// <summary>File bytes the worker has delivered to us (tests watch it against what was consumed).</summary>
    internal long FileBytesReceived => Interlocked.Read(ref _fileBytesReceived);

    /// <summary>File bytes we have handed to the worker for puts.</summary>
    internal long FileBytesSent => Interlocked.Read(ref _fileBytesSent);

    public async Task PutAsync(string treePath, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var id = Interlocked.Increment(ref _nextRequestId);
        await RequestAsync(new JsonObject { ["op"] = "filePut", ["path"] = treePath }, id, cancellationToken);
        var done = false;
        long sent = 0;
        try
        {
            var buffer = new byte[MaxOutboundPayload];
            BinaryPrimitives.WriteUInt32LittleEndian(buffer, (uint)id);
            while (true)
            {
                // Whole pieces even from a stream that yields a few KiB at a time (an HTTP body).
                var n = await content.ReadAtLeastAsync(buffer.AsMemory(4), buffer.Length - 4, throwOnEndOfStream: false, cancellationToken);
                if (n == 0)
                {
                    break;
                }

                await SendFrameAsync(WorkerFrameType.File, null, buffer.AsMemory(0, 4 + n), cancellationToken);
                Interlocked.Add(ref _fileBytesSent, n);
                sent += n;
                if (n < buffer.Length - 4)
                {
                    break;
                }
            }

            var end = await RequestAsync(new JsonObject { ["op"] = "filePutEnd" }, id, cancellationToken);
            done = true;
            if (end["size"] is not JsonValue size || !size.TryGetValue<long>(out var created) || created != sent)
            {
                throw new WorkerException($"the VM worker created {treePath} with {end["size"]?.ToJsonString() ?? "no"} bytes of the {sent} sent");
            }
        }
        finally
        {
            if (!done && !HasExited)
            {
                try
                {
                    await SendControlAsync(new JsonObject { ["op"] = "fileAbort", ["id"] = id }, CancellationToken.None);
                }
                catch (WorkerException)
                {
                    // The worker is gone; so is the transfer.
                }
            }
        }
    }

    public async Task<long> GetAsync(string treePath, long size, Stream destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var inFlight = new Queue<(int Id, int Length, Task<ReadOnlyMemory<byte>> Reply)>();
        long requested = 0, total = 0;
        try
        {
            while (true)
            {
                while (inFlight.Count < GetsInFlight && requested < size)
                {
                    var length = (int)Math.Min(GetChunk, size - requested);
                    inFlight.Enqueue(await RequestChunkAsync(treePath, requested, length, cancellationToken));
                    requested += length;
                }

                if (inFlight.Count == 0)
                {
                    return total;
                }

                var (_, asked, reply) = inFlight.Dequeue();
                var chunk = await WhenNotExited(reply, cancellationToken);
                if (chunk.Length > asked)
                {
                    throw new WorkerException($"the VM worker answered a file read of {asked} bytes with {chunk.Length}");
                }

                await destination.WriteAsync(chunk, cancellationToken);
                total += chunk.Length;
                if (chunk.Length < asked)
                {
                    // The file shrank since the agent measured it: what is there has been copied.
                    return total;
                }
            }
        }
        finally
        {
            foreach (var (id, _, _) in inFlight)
            {
                _pendingGets.TryRemove(id, out _);
            }
        }
    }

    private async Task<(int, int, Task<ReadOnlyMemory<byte>>)> RequestChunkAsync(string treePath, long offset, int length, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextRequestId);
        var reply = new TaskCompletionSource<ReadOnlyMemory<byte>>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pendingGets[id] = reply;
        try
        {
            await SendControlAsync(new JsonObject { ["op"] = "fileGet", ["id"] = id, ["path"] = treePath, ["offset"] = offset, ["length"] = length }, cancellationToken);
        }
        catch
        {
            _pendingGets.TryRemove(id, out _);
            throw;
        }

        return (id, length, reply.Task);
    }

    // Read loop: one answer to a get. One nobody waits for (cancelled, or never asked) is dropped.
    private void OnFileFrame(byte[] payload)
    {
        if (payload.Length < 4)
        {
            Fail(new WorkerException("the VM worker sent a file frame without a transfer id"));
            return;
        }

        var id = BinaryPrimitives.ReadInt32LittleEndian(payload);
        if (_pendingGets.TryRemove(id, out var pending))
        {
            Interlocked.Add(ref _fileBytesReceived, payload.Length - 4);
            pending.TrySetResult(payload.AsMemory(4));
        }
    }
}
