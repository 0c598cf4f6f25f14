using System.Security.Cryptography;
using Sandbox86.Machines.Worker;

namespace Sandbox86.Tests.Machines;

/// <summary>
/// The host side of the bulk file path (worker frame type 6) against scripted fake workers: a get never
/// holds more than its window whatever the file's size, pieces of a put arrive intact and in order, and a
/// worker's refusal reaches the caller.
/// </summary>
public sealed class WorkerFileTransferTests
{
    // A fake worker: answers every fileGet with as many bytes as asked (an endless file), records puts.
    private const string FakeWorker =
        "import sys, struct, json\n" +
        "out = sys.stdout.buffer\n" +
        "inp = sys.stdin.buffer\n" +
        "def frame(t, p):\n    out.write(struct.pack('<IB', len(p) + 1, t) + p); out.flush()\n" +
        "def exact(n):\n    b = b''\n    while len(b) < n:\n        c = inp.read(n - len(b))\n        if not c: sys.exit(0)\n        b += c\n    return b\n" +
        "frame(2, json.dumps({'ev': 'ready'}).encode())\n" +
        "puts = {}\n" +
        "while True:\n" +
        "    n, t = struct.unpack('<IB', exact(5)); p = exact(n - 1)\n" +
        "    if t == 6:\n        puts[struct.unpack('<I', p[:4])[0]] += len(p) - 4\n        continue\n" +
        "    m = json.loads(p)\n" +
        "    if m['op'] == 'fileGet':\n        frame(6, struct.pack('<I', m['id']) + bytes([m['offset'] % 251]) * m['length'])\n" +
        "    elif m['op'] == 'filePut':\n" +
        "        if m['path'].startswith('/refused'):\n            frame(2, json.dumps({'ev': 'error', 'op': 'filePut', 'id': m['id'], 'message': 'no such directory'}).encode())\n" +
        "        else:\n            puts[m['id']] = 0; frame(2, json.dumps({'ev': 'file', 'id': m['id']}).encode())\n" +
        "    elif m['op'] == 'filePutEnd':\n        frame(2, json.dumps({'ev': 'file', 'id': m['id'], 'size': puts[m['id']]}).encode())\n";

    [Fact]
    public async Task A_get_of_an_endless_file_into_a_stalled_destination_holds_at_most_its_window()
    {
        await using var worker = await WorkerProcess.StartAsync("python3", ["-c", FakeWorker], TimeSpan.FromSeconds(10), CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var destination = new StallingStream(stallAfter: 2);
        var get = worker.GetAsync("/endless", long.MaxValue, destination, cts.Token);
        await destination.Stalled.WaitAsync(TimeSpan.FromSeconds(10));
        // Give a host without a window every chance to over-read.
        await Task.Delay(1000);
        var held = worker.FileBytesReceived - destination.Written;
        Assert.True(held <= WorkerProcess.GetsInFlight * WorkerProcess.GetChunk, $"{held} bytes received and not yet consumed");
        Assert.True(destination.Written >= 2 * WorkerProcess.GetChunk, "the copy made progress before the stall");
        await cts.CancelAsync();
        destination.Release();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => get.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(worker.HasExited, "a cancelled get leaves the worker serving");
    }

    [Fact]
    public async Task A_get_stops_at_the_size_the_agent_reported_and_keeps_the_order_of_its_pieces()
    {
        await using var worker = await WorkerProcess.StartAsync("python3", ["-c", FakeWorker], TimeSpan.FromSeconds(10), CancellationToken.None);
        var size = 3L * WorkerProcess.GetChunk + 4097;
        using var destination = new MemoryStream();
        Assert.Equal(size, await worker.GetAsync("/file", size, destination, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20)));
        var bytes = destination.ToArray();
        Assert.Equal(size, bytes.Length);
        for (var piece = 0; piece < 4; piece++)
        {
            // The fake fills each piece with its offset mod 251: a reordered or repeated piece shows.
            Assert.Equal((byte)(piece * WorkerProcess.GetChunk % 251), bytes[piece * WorkerProcess.GetChunk]);
        }
    }

    [Fact]
    public async Task A_put_reaches_the_worker_intact_and_a_refused_one_fails_with_the_workers_reason()
    {
        await using var worker = await WorkerProcess.StartAsync("python3", ["-c", FakeWorker], TimeSpan.FromSeconds(10), CancellationToken.None);
        var data = RandomNumberGenerator.GetBytes(3 * WorkerProcess.MaxOutboundPayload + 17);
        await worker.PutAsync("/dir/.sbx86-x", new TrickleStream(data), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(data.Length, worker.FileBytesSent);

        var refused = await Assert.ThrowsAsync<WorkerException>(() => worker.PutAsync("/refused/.sbx86-y", new MemoryStream(data), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("no such directory", refused.Message, StringComparison.Ordinal);
        Assert.False(worker.HasExited);
    }

    /// <summary>Accepts a few writes, then blocks every write until released.</summary>
    private sealed class StallingStream(int stallAfter) : Stream
    {
        private readonly TaskCompletionSource _stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _writes;
        private long _written;

        public Task Stalled => _stalled.Task;

        public long Written => Interlocked.Read(ref _written);

        public void Release() => _release.TrySetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (++_writes > stallAfter)
            {
                _stalled.TrySetResult();
                await _release.Task.WaitAsync(cancellationToken);
            }

            Interlocked.Add(ref _written, buffer.Length);
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Yields at most 1000 bytes per read, as a network body does.</summary>
    private sealed class TrickleStream(byte[] data) : Stream
    {
        private int _position;

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, 1000), data.Length - _position);
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
