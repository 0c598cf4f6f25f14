namespace Sandbox86.Guest;

/// <summary>File operations.</summary>
public sealed partial class AgentClient
{
    private const int FileChunk = 32 * 1024;

    /// <summary>
    /// Writes <paramref name="content"/> to <paramref name="guestPath"/> atomically (temp file and
    /// rename) with permission bits <paramref name="mode"/> (e.g. 0o644 = 420), creating missing
    /// parent directories.
    /// </summary>
    public Task WriteFileAsync(string guestPath, Stream content, int mode = 420, CancellationToken cancellationToken = default) =>
        WriteFileAsync(guestPath, content, mode, createParents: true, cancellationToken);

    /// <summary>
    /// Writes <paramref name="content"/> to <paramref name="guestPath"/> atomically (temp file and
    /// rename) with permission bits <paramref name="mode"/>; with <paramref name="createParents"/>
    /// false a missing parent directory is an error (ENOENT).
    /// </summary>
    public async Task WriteFileAsync(string guestPath, Stream content, int mode, bool createParents, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var open = new TlvWriter().String(AgentTag.Path, guestPath).UInt32(AgentTag.Mode, (uint)mode).Bool(AgentTag.Parents, createParents).ToArray();
        await EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        var stream = NextStream();
        var handler = new ReplyHandler();
        Register(stream, handler);
        var committed = false;
        try
        {
            Send(AgentMessageType.FileWriteOpen, stream, open);
            var buffer = new byte[FileChunk];
            while (true)
            {
                // An early error (EACCES, ENOSPC) ends the upload without sending the rest.
                if (handler.Task.IsCompleted)
                {
                    break;
                }

                var n = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                await WaitForQueueRoomAsync(cancellationToken).ConfigureAwait(false);
                Send(AgentMessageType.FileWriteData, stream, buffer.AsSpan(0, n).ToArray());
            }

            if (!handler.Task.IsCompleted)
            {
                Send(AgentMessageType.FileWriteEnd, stream, ReadOnlyMemory<byte>.Empty);
            }

            committed = true;
            await handler.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (!committed && _fault is null)
            {
                SendQuietly(AgentMessageType.Abort, stream);
            }

            Unregister(stream);
        }
    }

    /// <summary>Copies a guest file into <paramref name="destination"/>; returns the byte count.</summary>
    public async Task<long> ReadFileAsync(string guestPath, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var request = new TlvWriter().String(AgentTag.Path, guestPath).UInt32(AgentTag.Window, (uint)_options.OutputWindow).ToArray();
        await EnsureReadyAsync(cancellationToken).ConfigureAwait(false);
        var stream = NextStream();
        var handler = new FileReadHandler(_options.OutputWindow);
        Register(stream, handler);
        long total = 0;
        var finished = false;
        try
        {
            Send(AgentMessageType.FileRead, stream, request);
            await foreach (var chunk in handler.Chunks.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await destination.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
                total += chunk.Length;
                handler.Consumed(chunk.Length);
                SendCredit(stream, chunk.Length);
            }

            finished = true;
            return total;
        }
        finally
        {
            if (!finished)
            {
                // Cancelled, destination failed, or the agent reported an error: release the guest side.
                SendQuietly(AgentMessageType.Abort, stream);
            }

            Unregister(stream);
        }
    }

    /// <summary>Metadata of a guest path (not following symlinks); ENOENT as <see cref="AgentException.IsNotFound"/>.</summary>
    public async Task<AgentFileInfo> StatAsync(string guestPath, CancellationToken cancellationToken = default)
    {
        var reply = await RequestAsync(AgentMessageType.Stat, PathPayload(guestPath).ToArray(), cancellationToken).ConfigureAwait(false);
        return AgentFileInfo.ParseAll(reply.Payload.Span, guestPath)[0];
    }

    /// <summary>Entries of a guest directory (without . and ..), in directory order.</summary>
    public async Task<IReadOnlyList<AgentFileInfo>> ListAsync(string guestPath, CancellationToken cancellationToken = default)
    {
        var (_, entries) = await RequestWithEntriesAsync(AgentMessageType.List, PathPayload(guestPath).ToArray(), cancellationToken).ConfigureAwait(false);
        var list = new List<AgentFileInfo>();
        foreach (var e in entries)
        {
            list.AddRange(AgentFileInfo.ParseAll(e.Span, null));
        }

        return list;
    }

    /// <summary>Removes a file, an empty directory, or with <paramref name="recursive"/> a whole tree.</summary>
    public Task RemoveAsync(string guestPath, bool recursive = false, CancellationToken cancellationToken = default) =>
        RequestAsync(AgentMessageType.Remove, PathPayload(guestPath).Bool(AgentTag.Recursive, recursive).ToArray(), cancellationToken);

    /// <summary>Creates a directory (and with <paramref name="parents"/> its parents, like mkdir -p).</summary>
    public Task MkdirAsync(string guestPath, int mode = 493, bool parents = true, CancellationToken cancellationToken = default) =>
        RequestAsync(AgentMessageType.Mkdir, PathPayload(guestPath).UInt32(AgentTag.Mode, (uint)mode).Bool(AgentTag.Parents, parents).ToArray(), cancellationToken);

    private static TlvWriter PathPayload(string guestPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(guestPath);
        return new TlvWriter().String(AgentTag.Path, guestPath);
    }
}
