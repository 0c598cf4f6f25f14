namespace Sandbox86.Guest;

/// <summary>File operations.</summary>
public sealed partial class AgentClient
{
    private const int FileChunk = 32 * 1024;
    private const int ErrnoCrossDevice = 18;
    private const int ErrnoNotImplemented = 38;
    private const int MaxTreePath = 4096;
    private int _treeUnsupported;

    /// <summary>
    /// The bulk path for file bytes (v86's 9p tree through the worker), when the machine has one. Files on
    /// the guest's root filesystem then travel through it and only the metadata through the agent;
    /// everything else (tmpfs, devices, an agent without the FSTAGE/FEXPORT requests) takes the channel.
    /// </summary>
    internal IGuestTree? Tree { get; init; }

    /// <summary>Sends every file through the channel even when <see cref="Tree"/> is set (the files bench's A/B).</summary>
    internal bool ChannelOnly { get; set; }

    private IGuestTree? UsableTree => Volatile.Read(ref _treeUnsupported) == 0 && !ChannelOnly ? Tree : null;

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
    public Task WriteFileAsync(string guestPath, Stream content, int mode, bool createParents, CancellationToken cancellationToken = default) =>
        WriteFileAsync(guestPath, content, mode, createParents, owner: null, cancellationToken);

    /// <summary>
    /// Writes a file as <see cref="WriteFileAsync(string, Stream, int, bool, CancellationToken)"/> does, owned by
    /// <paramref name="owner"/> (a guest user name, <c>uid</c> or <c>uid:gid</c>; a name gets that account's
    /// primary group, like <c>chown USER:</c>); null keeps the agent's own user (root).
    /// </summary>
    public async Task WriteFileAsync(string guestPath, Stream content, int mode, bool createParents, string? owner, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (UsableTree is { } tree && await TryWriteThroughTreeAsync(tree, guestPath, content, mode, createParents, owner, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        await WriteThroughChannelAsync(guestPath, content, mode, createParents, cancellationToken).ConfigureAwait(false);
        if (owner is not null)
        {
            // The channel's FWRITE has no owner: the file is given away right after its rename.
            var chown = await ExecAsync(new ExecRequest { Argv = ["chown", owner.Contains(':', StringComparison.Ordinal) ? owner : owner + ":", "--", guestPath], OutputCap = 4096 }, cancellationToken).ConfigureAwait(false);
            if (chown.ExitCode != 0)
            {
                throw new AgentException($"chown {owner} {guestPath}: {chown.StderrText.Trim()}");
            }
        }
    }

    private async Task WriteThroughChannelAsync(string guestPath, Stream content, int mode, bool createParents, CancellationToken cancellationToken)
    {

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
        if (UsableTree is { } tree && await ExportAsync(guestPath, cancellationToken).ConfigureAwait(false) is { } exported)
        {
            Util.PhaseTrace.Mark($"files: {guestPath} exported ({exported.Size} bytes)");
            return await TreeCallAsync(guestPath, () => tree.GetAsync(exported.TreePath, exported.Size, destination, cancellationToken)).ConfigureAwait(false);
        }

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

    // Stage (parents made, canonical directory checked to be on the 9p root), put a new inode under a name
    // the guest has never looked up, commit (owner, mode, rename over the target, in the guest). False when
    // the target is elsewhere: nothing has been read from the content yet.
    private async Task<bool> TryWriteThroughTreeAsync(IGuestTree tree, string guestPath, Stream content, int mode, bool createParents, string? owner, CancellationToken cancellationToken)
    {
        var stage = PathPayload(guestPath).Bool(AgentTag.Parents, createParents).ToArray();
        var directory = await TreeRequestAsync(AgentMessageType.FileStage, stage, cancellationToken).ConfigureAwait(false);
        if (directory is null)
        {
            return false;
        }

        Util.PhaseTrace.Mark($"files: {guestPath} staged in {directory.Value.TreePath}");
        var name = ".sbx86-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        var staged = (directory.Value.TreePath == "/" ? "" : directory.Value.TreePath) + "/" + name;
        await TreeCallAsync(guestPath, async () => { await tree.PutAsync(staged, content, cancellationToken).ConfigureAwait(false); return 0; }).ConfigureAwait(false);
        Util.PhaseTrace.Mark($"files: {guestPath} put into the tree");
        var commitFields = PathPayload(guestPath).String(AgentTag.Name, name).UInt32(AgentTag.Mode, (uint)mode);
        var commit = (owner is null ? commitFields : commitFields.String(AgentTag.User, owner)).ToArray();
        await RequestAsync(AgentMessageType.FileCommit, commit, cancellationToken).ConfigureAwait(false);
        Util.PhaseTrace.Mark($"files: {guestPath} committed");
        return true;
    }

    // Fsync in the guest, then the file's canonical path and size; null when the channel must read it.
    private Task<(string TreePath, long Size)?> ExportAsync(string guestPath, CancellationToken cancellationToken) =>
        TreeRequestAsync(AgentMessageType.FileExport, PathPayload(guestPath).ToArray(), cancellationToken);

    private async Task<(string TreePath, long Size)?> TreeRequestAsync(AgentMessageType type, byte[] payload, CancellationToken cancellationToken)
    {
        AgentFrame reply;
        try
        {
            reply = await RequestAsync(type, payload, cancellationToken).ConfigureAwait(false);
        }
        catch (AgentException e) when (e.Errno is ErrnoCrossDevice or ErrnoNotImplemented)
        {
            if (e.Errno == ErrnoNotImplemented)
            {
                // An older agent: it never will.
                Volatile.Write(ref _treeUnsupported, 1);
            }

            return null;
        }

        // The guest's answer names a path in its own tree; still, only a sane absolute one is used.
        string? path = null;
        long size = long.MaxValue;
        var r = new TlvReader(reply.Payload.Span);
        while (r.Read())
        {
            switch (r.Tag)
            {
                case AgentTag.Path: path = r.String(); break;
                case AgentTag.Size: size = (long)Math.Min(r.UInt64(), long.MaxValue); break;
                default: break;
            }
        }

        if (reply.Type != AgentMessageType.FilePath || path is null || !path.StartsWith('/') || path.Length > MaxTreePath || path.Contains('\0', StringComparison.Ordinal))
        {
            throw new AgentException($"the agent sent a malformed answer to {type}");
        }

        return (path, size);
    }

    // The worker's errors in the agent's terms, so callers handle one exception type for file copies.
    private static async Task<T> TreeCallAsync<T>(string guestPath, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Sandbox86Exception e) when (e is not AgentException)
        {
            throw new AgentException($"{guestPath}: {e.Message}", e);
        }
    }

    private static TlvWriter PathPayload(string guestPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(guestPath);
        return new TlvWriter().String(AgentTag.Path, guestPath);
    }
}
