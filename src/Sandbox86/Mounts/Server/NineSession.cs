using Microsoft.Extensions.Logging;
using Sandbox86.Mounts.Wire;

namespace Sandbox86.Mounts.Server;

/// <summary>
/// Runs a <see cref="NineServer"/> over a byte stream (the guest's 9P transport): one loop that reads a
/// whole message (its size checked against the msize before any byte is buffered), answers it, and
/// writes the reply. A size outside the bounds ends the session: past it the stream has no framing.
/// </summary>
internal static partial class NineSession
{
    public static async Task RunAsync(Stream stream, NineServer server, int maxMessageSize, ILogger? logger, CancellationToken cancellationToken)
    {
        var request = new byte[maxMessageSize];
        var reply = new NineWriter(new byte[maxMessageSize]);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (!await ReadExactlyOrEndAsync(stream, request.AsMemory(0, 4), cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                var size = NineFrame.DeclaredSize(request, server.Negotiated ? server.MessageSize : maxMessageSize);
                await stream.ReadExactlyAsync(request.AsMemory(4, size - 4), cancellationToken).ConfigureAwait(false);
                var n = server.Handle(request.AsSpan(0, size), reply);
                await stream.WriteAsync(reply.Buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (NineFormatException e)
        {
            if (logger is not null)
            {
                Ended(logger, e.Message);
            }
        }
        catch (EndOfStreamException)
        {
            // The guest (or its worker) went away mid-message.
        }
        catch (Exception e) when (e is IOException or Machines.Worker.WorkerException or ObjectDisposedException)
        {
            // The transport is gone (the machine stopped).
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static async Task<bool> ReadExactlyOrEndAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var got = 0;
        while (got < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer[got..], cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return got == 0 ? false : throw new EndOfStreamException();
            }

            got += n;
        }

        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "9P session ended: {Reason}")]
    private static partial void Ended(ILogger logger, string reason);
}
