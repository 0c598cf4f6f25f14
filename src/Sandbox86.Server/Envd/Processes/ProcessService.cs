using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Sandbox86.Guest;
using Sandbox86.Server.Envd.Connect;
using Sandbox86.Server.Envd.Protos.Process;

namespace Sandbox86.Server.Envd.Processes;

/// <summary>envd's <c>process.Process</c> on top of the guest agent's exec.</summary>
internal static class ProcessService
{
    /// <summary>Server streams (Start, Connect) and the client stream StreamInput: all use enveloped connect+json bodies.</summary>
    public static bool IsStreaming(string method) => method is "Start" or "Connect" or "StreamInput";

    public static async Task HandleAsync(string method, EnvdCall call, HttpContext context, CancellationToken cancellationToken)
    {
        var table = call.Sandbox.GetOrAddFeature(() => new ProcessTable());
        switch (method)
        {
            case "Start":
                await StartAsync(call, table, context, cancellationToken).ConfigureAwait(false);
                break;
            case "Connect":
            {
                var request = await ConnectWire.ReadRequestAsync<ConnectRequest>(context.Request, true, cancellationToken).ConfigureAwait(false);
                var process = table.Find(request.Process);
                ConnectWire.StartStream(context.Response);
                await StreamAsync(process, context, null, cancellationToken).ConfigureAwait(false);
                break;
            }

            case "List":
            {
                await ConnectWire.ReadRequestAsync<ListRequest>(context.Request, false, cancellationToken).ConfigureAwait(false);
                var response = new ListResponse();
                foreach (var p in table.Running.Where(p => !p.Process.Completion.IsCompleted))
                {
                    var info = new ProcessInfo { Config = p.Config, Pid = p.Pid };
                    if (p.Tag is not null)
                    {
                        info.Tag = p.Tag;
                    }

                    response.Processes.Add(info);
                }

                await ConnectWire.WriteUnaryAsync(context.Response, response, cancellationToken).ConfigureAwait(false);
                break;
            }

            case "SendInput":
            {
                var request = await ConnectWire.ReadRequestAsync<SendInputRequest>(context.Request, false, cancellationToken).ConfigureAwait(false);
                var process = table.Find(request.Process);
                var data = request.Input?.InputCase switch
                {
                    ProcessInput.InputOneofCase.Stdin => request.Input.Stdin,
                    ProcessInput.InputOneofCase.Pty => request.Input.Pty,
                    _ => ByteString.Empty,
                };
                await process.Process.WriteStdinAsync(data.Memory, cancellationToken).ConfigureAwait(false);
                await ConnectWire.WriteUnaryAsync(context.Response, new SendInputResponse(), cancellationToken).ConfigureAwait(false);
                break;
            }

            case "StreamInput":
                await StreamInputAsync(table, context, cancellationToken).ConfigureAwait(false);
                break;

            case "CloseStdin":
            {
                var request = await ConnectWire.ReadRequestAsync<CloseStdinRequest>(context.Request, false, cancellationToken).ConfigureAwait(false);
                await table.Find(request.Process).Process.CloseStdinAsync(cancellationToken).ConfigureAwait(false);
                await ConnectWire.WriteUnaryAsync(context.Response, new CloseStdinResponse(), cancellationToken).ConfigureAwait(false);
                break;
            }

            case "SendSignal":
            {
                var request = await ConnectWire.ReadRequestAsync<SendSignalRequest>(context.Request, false, cancellationToken).ConfigureAwait(false);
                var signal = request.Signal == Signal.Sigterm ? 15 : 9;
                // The agent signals the whole process group.
                await table.Find(request.Process).Process.KillAsync(signal, cancellationToken).ConfigureAwait(false);
                await ConnectWire.WriteUnaryAsync(context.Response, new SendSignalResponse(), cancellationToken).ConfigureAwait(false);
                break;
            }

            case "Update":
            {
                var request = await ConnectWire.ReadRequestAsync<UpdateRequest>(context.Request, false, cancellationToken).ConfigureAwait(false);
                var process = table.Find(request.Process);
                if (request.Pty?.Size is { } size)
                {
                    await process.Process.ResizeAsync(new PtySize((int)size.Rows, (int)size.Cols), cancellationToken).ConfigureAwait(false);
                }

                await ConnectWire.WriteUnaryAsync(context.Response, new UpdateResponse(), cancellationToken).ConfigureAwait(false);
                break;
            }

            default:
                throw new ConnectException("unimplemented", $"process.Process/{method} is not implemented");
        }
    }

    /// <summary>
    /// Client streaming over HTTP/1.1: a start event naming the process, then data events written to its
    /// stdin in order (each awaits the agent's credit, so a fast sender is held back), ending with the body.
    /// The answer is one empty message and the end-stream frame.
    /// </summary>
    private static async Task StreamInputAsync(ProcessTable table, HttpContext context, CancellationToken cancellationToken)
    {
        TrackedProcess? process = null;
        await foreach (var request in ConnectWire.ReadStreamAsync<StreamInputRequest>(context.Request, cancellationToken).ConfigureAwait(false))
        {
            switch (request.EventCase)
            {
                case StreamInputRequest.EventOneofCase.Start:
                    process = table.Find(request.Start.Process);
                    break;
                case StreamInputRequest.EventOneofCase.Data:
                    var target = process ?? throw new ConnectException("invalid_argument", "StreamInput: the first message must be a start event naming the process");
                    var input = request.Data.Input;
                    var data = input?.InputCase switch
                    {
                        ProcessInput.InputOneofCase.Stdin => input.Stdin,
                        ProcessInput.InputOneofCase.Pty => input.Pty,
                        _ => ByteString.Empty,
                    };
                    await target.Process.WriteStdinAsync(data.Memory, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }

        if (process is null)
        {
            throw new ConnectException("invalid_argument", "StreamInput: no start event");
        }

        ConnectWire.StartStream(context.Response);
        await ConnectWire.WriteMessageAsync(context.Response, new StreamInputResponse(), cancellationToken).ConfigureAwait(false);
        await ConnectWire.WriteEndAsync(context.Response, null, cancellationToken).ConfigureAwait(false);
    }

    private static async Task StartAsync(EnvdCall call, ProcessTable table, HttpContext context, CancellationToken cancellationToken)
    {
        var request = await ConnectWire.ReadRequestAsync<StartRequest>(context.Request, true, cancellationToken).ConfigureAwait(false);
        var config = request.Process ?? throw new ConnectException("invalid_argument", "process is required");
        if (config.Cmd.Length == 0)
        {
            throw new ConnectException("invalid_argument", "process.cmd is required");
        }

        var env = new Dictionary<string, string>(call.Sandbox.EnvVars);
        foreach (var (k, v) in config.Envs)
        {
            if (k.Length == 0 || k.Contains('=', StringComparison.Ordinal))
            {
                throw new ConnectException("invalid_argument", $"bad environment variable name '{k}'");
            }

            env[k] = v;
        }

        env.TryAdd("HOME", call.Home);
        env.TryAdd("USER", call.User);
        var pty = request.Pty?.Size is { } size ? new PtySize((int)Math.Max(1, size.Rows), (int)Math.Max(1, size.Cols)) : (PtySize?)null;
        var exec = new ExecRequest
        {
            Argv = [config.Cmd, .. config.Args],
            Env = env,
            WorkingDirectory = config.HasCwd && config.Cwd.Length > 0 ? call.Resolve(config.Cwd) : call.Home,
            User = call.User,
            Stdin = request.HasStdin && request.Stdin,
            Pty = pty,
            Timeout = EnvdEndpoints.ConnectTimeout(context),
            OutputCap = 0,
        };
        ExecProcess process;
        try
        {
            Sandbox86.Util.PhaseTrace.Mark($"envd: starting {config.Cmd} as {call.User}");
            process = await call.Agent.StartAsync(exec, cancellationToken).ConfigureAwait(false);
            Sandbox86.Util.PhaseTrace.Mark("envd: process started");
        }
        catch (AgentException e)
        {
            throw new ConnectException("internal", "could not start the process: " + e.Message);
        }

        var tracked = new TrackedProcess(process, config, request.HasTag ? request.Tag : null, pty is not null);
        if (tracked.Pid == 0)
        {
            var failed = await process.Completion.ConfigureAwait(false);
            throw new ConnectException("invalid_argument", $"could not execute '{config.Cmd}' (exit {failed.ExitCode})");
        }

        table.Add(tracked);
        ConnectWire.StartStream(context.Response);
        var start = new ProcessEvent { Start = new ProcessEvent.Types.StartEvent { Pid = tracked.Pid } };
        await StreamAsync(tracked, context, start, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Streams events until the process ends; a client that goes away leaves the process running.</summary>
    private static async Task StreamAsync(TrackedProcess process, HttpContext context, ProcessEvent? first, CancellationToken cancellationToken)
    {
        var isStart = first is not null;
        IMessage Wrap(ProcessEvent e) => isStart ? new StartResponse { Event = e } : new ConnectResponse { Event = e };
        var response = context.Response;
        var keepalive = EnvdEndpoints.KeepaliveInterval(context);
        var reader = process.Attach();
        try
        {
            await ConnectWire.WriteMessageAsync(response, Wrap(first ?? new ProcessEvent { Start = new ProcessEvent.Types.StartEvent { Pid = process.Pid } }), cancellationToken).ConfigureAwait(false);
            while (true)
            {
                var wait = reader.WaitToReadAsync(cancellationToken).AsTask();
                if (await Task.WhenAny(wait, Task.Delay(keepalive, cancellationToken)).ConfigureAwait(false) != wait)
                {
                    await ConnectWire.WriteMessageAsync(response, Wrap(new ProcessEvent { Keepalive = new ProcessEvent.Types.KeepAlive() }), cancellationToken).ConfigureAwait(false);
                    await wait.ConfigureAwait(false);
                }

                if (!await wait.ConfigureAwait(false))
                {
                    break;
                }

                while (reader.TryRead(out var item))
                {
                    if (item.Data.IsEmpty)
                    {
                        continue;
                    }

                    var bytes = ByteString.CopyFrom(item.Data.Span);
                    var data = new ProcessEvent.Types.DataEvent();
                    if (process.Pty)
                    {
                        data.Pty = bytes;
                    }
                    else if (item.Kind == ExecOutputKind.Stderr)
                    {
                        data.Stderr = bytes;
                    }
                    else
                    {
                        data.Stdout = bytes;
                    }

                    await ConnectWire.WriteMessageAsync(response, Wrap(new ProcessEvent { Data = data }), cancellationToken).ConfigureAwait(false);
                }
            }

            ProcessEvent.Types.EndEvent end;
            try
            {
                var result = await process.Process.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
                end = new ProcessEvent.Types.EndEvent
                {
                    ExitCode = result.ExitCode,
                    Exited = result.Signal == 0,
                    Status = result.Signal != 0 ? "signal: " + SignalName(result.Signal) : "exit status " + result.ExitCode,
                };
                if (result.TimedOut)
                {
                    end.Error = "deadline exceeded";
                }
            }
            catch (AgentException e)
            {
                end = new ProcessEvent.Types.EndEvent { ExitCode = -1, Exited = false, Status = "error", Error = e.Message };
            }

            await ConnectWire.WriteMessageAsync(response, Wrap(new ProcessEvent { End = end }), cancellationToken).ConfigureAwait(false);
            await ConnectWire.WriteEndAsync(response, null, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            process.Detach(reader);
        }
    }

    private static string SignalName(int signal) => signal switch
    {
        9 => "killed",
        15 => "terminated",
        2 => "interrupt",
        _ => "signal " + signal,
    };
}
