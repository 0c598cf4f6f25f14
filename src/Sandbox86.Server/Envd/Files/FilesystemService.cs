using Microsoft.AspNetCore.Http;
using Sandbox86.Guest;
using Sandbox86.Server.Envd.Connect;
using Sandbox86.Server.Envd.Protos.Filesystem;

namespace Sandbox86.Server.Envd.Files;

/// <summary>envd's <c>filesystem.Filesystem</c> on the agent's file operations (Move runs <c>mv</c> in the guest).</summary>
internal static class FilesystemService
{
    private const int MaxListEntries = 10_000;

    public static async Task HandleAsync(string method, EnvdCall call, HttpContext context, CancellationToken cancellationToken)
    {
        switch (method)
        {
            case "Stat":
            {
                var r = await ConnectWire.ReadRequestAsync<StatRequest>(context.Request, false, cancellationToken).ConfigureAwait(false);
                var path = call.Resolve(r.Path);
                var info = await Guard(() => call.Agent.StatAsync(path, cancellationToken), path).ConfigureAwait(false);
                await ConnectWire.WriteUnaryAsync(context.Response, new StatResponse { Entry = EntryInfos.From(info, path) }, cancellationToken).ConfigureAwait(false);
                break;
            }

            case "ListDir":
            {
                var r = await ConnectWire.ReadRequestAsync<ListDirRequest>(context.Request, false, cancellationToken).ConfigureAwait(false);
                var path = call.Resolve(r.Path);
                var response = new ListDirResponse();
                var root = await Guard(() => call.Agent.StatAsync(path, cancellationToken), path).ConfigureAwait(false);
                if (!root.IsDirectory)
                {
                    throw new ConnectException("invalid_argument", $"path '{path}' is not a directory");
                }

                await ListAsync(call, path, (int)Math.Clamp(r.Depth == 0 ? 1 : r.Depth, 1, 32), response, cancellationToken).ConfigureAwait(false);
                await ConnectWire.WriteUnaryAsync(context.Response, response, cancellationToken).ConfigureAwait(false);
                break;
            }

            case "MakeDir":
            {
                var r = await ConnectWire.ReadRequestAsync<MakeDirRequest>(context.Request, false, cancellationToken).ConfigureAwait(false);
                var path = call.Resolve(r.Path);
                if (await Exists(call, path, cancellationToken).ConfigureAwait(false))
                {
                    throw new ConnectException("already_exists", $"'{path}' already exists");
                }

                if (call.User == "root")
                {
                    await Guard(async () => { await call.Agent.MkdirAsync(path, 493, true, cancellationToken).ConfigureAwait(false); return 0; }, path).ConfigureAwait(false);
                }
                else
                {
                    await MakeDirectoriesAsUserAsync(call, path, cancellationToken).ConfigureAwait(false);
                }

                var info = await call.Agent.StatAsync(path, cancellationToken).ConfigureAwait(false);
                await ConnectWire.WriteUnaryAsync(context.Response, new MakeDirResponse { Entry = EntryInfos.From(info, path) }, cancellationToken).ConfigureAwait(false);
                break;
            }

            case "Move":
            {
                var r = await ConnectWire.ReadRequestAsync<MoveRequest>(context.Request, false, cancellationToken).ConfigureAwait(false);
                var source = call.Resolve(r.Source);
                var destination = call.Resolve(r.Destination);
                await Guard(() => call.Agent.StatAsync(source, cancellationToken), source).ConfigureAwait(false);
                var result = await call.Agent.ExecAsync(new ExecRequest { Argv = ["mv", "-f", "--", source, destination], OutputCap = 4096 }, cancellationToken).ConfigureAwait(false);
                if (result.ExitCode != 0)
                {
                    throw new ConnectException("invalid_argument", "move failed: " + result.StderrText.Trim());
                }

                var info = await call.Agent.StatAsync(destination, cancellationToken).ConfigureAwait(false);
                await ConnectWire.WriteUnaryAsync(context.Response, new MoveResponse { Entry = EntryInfos.From(info, destination) }, cancellationToken).ConfigureAwait(false);
                break;
            }

            case "Remove":
            {
                var r = await ConnectWire.ReadRequestAsync<RemoveRequest>(context.Request, false, cancellationToken).ConfigureAwait(false);
                var path = call.Resolve(r.Path);
                await Guard(async () => { await call.Agent.RemoveAsync(path, true, cancellationToken).ConfigureAwait(false); return 0; }, path).ConfigureAwait(false);
                await ConnectWire.WriteUnaryAsync(context.Response, new RemoveResponse(), cancellationToken).ConfigureAwait(false);
                break;
            }

            case "WatchDir":
                await WatchDirAsync(call, context, cancellationToken).ConfigureAwait(false);
                break;

            case "CreateWatcher":
            {
                var r = await ConnectWire.ReadRequestAsync<CreateWatcherRequest>(context.Request, false, cancellationToken).ConfigureAwait(false);
                var table = call.Sandbox.GetOrAddFeature(() => new WatcherTable());
                var id = await table.CreateAsync(new DirectoryPoller(call.Agent, call.Resolve(r.Path), r.Recursive), call.Sandbox.Stopping, cancellationToken).ConfigureAwait(false);
                await ConnectWire.WriteUnaryAsync(context.Response, new CreateWatcherResponse { WatcherId = id }, cancellationToken).ConfigureAwait(false);
                break;
            }

            case "GetWatcherEvents":
            {
                var r = await ConnectWire.ReadRequestAsync<GetWatcherEventsRequest>(context.Request, false, cancellationToken).ConfigureAwait(false);
                var response = new GetWatcherEventsResponse();
                response.Events.AddRange(call.Sandbox.GetOrAddFeature(() => new WatcherTable()).Drain(r.WatcherId));
                await ConnectWire.WriteUnaryAsync(context.Response, response, cancellationToken).ConfigureAwait(false);
                break;
            }

            case "RemoveWatcher":
            {
                var r = await ConnectWire.ReadRequestAsync<RemoveWatcherRequest>(context.Request, false, cancellationToken).ConfigureAwait(false);
                await call.Sandbox.GetOrAddFeature(() => new WatcherTable()).RemoveAsync(r.WatcherId).ConfigureAwait(false);
                await ConnectWire.WriteUnaryAsync(context.Response, new RemoveWatcherResponse(), cancellationToken).ConfigureAwait(false);
                break;
            }

            default:
                throw new ConnectException("unimplemented", $"filesystem.Filesystem/{method} is not implemented");
        }
    }

    /// <summary>Streams polled change events until the client goes away or the deadline passes.</summary>
    private static async Task WatchDirAsync(EnvdCall call, HttpContext context, CancellationToken cancellationToken)
    {
        var r = await ConnectWire.ReadRequestAsync<WatchDirRequest>(context.Request, true, cancellationToken).ConfigureAwait(false);
        var poller = new DirectoryPoller(call.Agent, call.Resolve(r.Path), r.Recursive);
        await poller.StartAsync(cancellationToken).ConfigureAwait(false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, call.Sandbox.Stopping);
        if (EnvdEndpoints.ConnectTimeout(context) is { } timeout)
        {
            deadline.CancelAfter(timeout);
        }

        ConnectWire.StartStream(context.Response);
        await ConnectWire.WriteMessageAsync(context.Response, new WatchDirResponse { Start = new WatchDirResponse.Types.StartEvent() }, cancellationToken).ConfigureAwait(false);
        var keepalive = EnvdEndpoints.KeepaliveInterval(context);
        var lastSent = DateTime.UtcNow;
        try
        {
            while (true)
            {
                await Task.Delay(DirectoryPoller.Interval, deadline.Token).ConfigureAwait(false);
                foreach (var e in await poller.PollAsync(deadline.Token).ConfigureAwait(false))
                {
                    await ConnectWire.WriteMessageAsync(context.Response, new WatchDirResponse { Filesystem = e }, deadline.Token).ConfigureAwait(false);
                    lastSent = DateTime.UtcNow;
                }

                if (DateTime.UtcNow - lastSent >= keepalive)
                {
                    await ConnectWire.WriteMessageAsync(context.Response, new WatchDirResponse { Keepalive = new WatchDirResponse.Types.KeepAlive() }, deadline.Token).ConfigureAwait(false);
                    lastSent = DateTime.UtcNow;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Deadline or sandbox stopping: end the stream cleanly.
            await ConnectWire.WriteEndAsync(context.Response, null, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// <c>mkdir -p</c> as the calling user, as envd (which runs as that user) does: the directories it
    /// creates are the user's, and the guest's own permission checks apply (a user cannot create under /root).
    /// </summary>
    public static async Task MakeDirectoriesAsUserAsync(EnvdCall call, string path, CancellationToken cancellationToken)
    {
        var result = await call.Agent.ExecAsync(new ExecRequest { Argv = ["mkdir", "-p", "--", path], User = call.User, OutputCap = 4096 }, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new ConnectException("permission_denied", $"cannot create '{path}' as {call.User}: {result.StderrText.Trim()}");
        }
    }

    /// <summary>
    /// The agent writes as root, so a write for another user is checked as that user first (one exec): missing
    /// parents are made as the user (so the user can later create files in them), and the file must be
    /// writable, or creatable in its directory, by the user, as when envd itself writes as that user.
    /// </summary>
    public static async Task PrepareWriteAsUserAsync(EnvdCall call, string path, CancellationToken cancellationToken)
    {
        const string script = "d=${1%/*}; [ -n \"$d\" ] || d=/; mkdir -p -- \"$d\" && if [ -e \"$1\" ]; then [ -f \"$1\" ] && [ -w \"$1\" ]; else [ -w \"$d\" ]; fi";
        var result = await call.Agent.ExecAsync(new ExecRequest { Argv = ["sh", "-c", script, "sh", path], User = call.User, OutputCap = 4096 }, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            var detail = result.StderrText.Trim();
            throw new ConnectException("permission_denied", $"{call.User} may not write '{path}'" + (detail.Length > 0 ? ": " + detail : ""));
        }
    }

    /// <summary>Files created through the agent belong to root: hand them to the calling user as envd does.</summary>
    public static async Task Chown(EnvdCall call, string path, CancellationToken cancellationToken)
    {
        if (call.User != "root")
        {
            await call.Agent.ExecAsync(new ExecRequest { Argv = ["chown", call.User + ":", "--", path], OutputCap = 4096 }, cancellationToken).ConfigureAwait(false);
        }
    }

    public static async Task<bool> Exists(EnvdCall call, string path, CancellationToken cancellationToken)
    {
        try
        {
            await call.Agent.StatAsync(path, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (AgentException e) when (e.IsNotFound)
        {
            return false;
        }
    }

    public static async Task<T> Guard<T>(Func<Task<T>> action, string path)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (AgentException e) when (e.IsNotFound)
        {
            throw new ConnectException("not_found", $"path '{path}' does not exist");
        }
        catch (AgentException e) when (e.Errno is 13 or 1)
        {
            throw new ConnectException("permission_denied", $"permission denied: '{path}'");
        }
        catch (AgentException e) when (e.Errno is not null)
        {
            throw new ConnectException("invalid_argument", $"'{path}': {e.Message}");
        }
    }

    private static async Task ListAsync(EnvdCall call, string dir, int depth, ListDirResponse response, CancellationToken cancellationToken)
    {
        foreach (var entry in await call.Agent.ListAsync(dir, cancellationToken).ConfigureAwait(false))
        {
            if (response.Entries.Count >= MaxListEntries)
            {
                throw new ConnectException("resource_exhausted", $"more than {MaxListEntries} entries under '{dir}'");
            }

            var path = EntryInfos.Join(dir, entry.Name);
            response.Entries.Add(EntryInfos.From(entry, path));
            if (depth > 1 && entry.IsDirectory)
            {
                await ListAsync(call, path, depth - 1, response, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
