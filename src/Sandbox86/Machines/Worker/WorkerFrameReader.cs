using System.Buffers.Binary;

namespace Sandbox86.Machines.Worker;

/// <summary>
/// Splits the worker's stdout into frames (u32 LE length of type byte + payload, u8 type, payload),
/// trusting no length: the read loop's only parser, separate so fuzzing can feed it bytes in process.
/// </summary>
internal sealed class WorkerFrameReader(Stream stream, int maxFrame)
{
    private readonly byte[] _header = new byte[5];

    /// <summary>
    /// The next frame, or null at end of stream (also in the middle of a frame: a worker that dies
    /// mid-write is an exit, not a parse error). Throws <see cref="WorkerException"/> for a bad length.
    /// </summary>
    public async ValueTask<(WorkerFrameType Type, byte[] Payload)?> ReadAsync(CancellationToken cancellationToken)
    {
        if (!await ReadExactlyOrEofAsync(_header, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(_header);
        if (length < 1 || length > maxFrame)
        {
            throw new WorkerException($"the VM worker sent a bad frame length ({length})");
        }

        var payload = new byte[length - 1];
        if (!await ReadExactlyOrEofAsync(payload, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return ((WorkerFrameType)_header[4], payload);
    }

    private async ValueTask<bool> ReadExactlyOrEofAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }
}
