using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sandbox86.Machines.Worker;

internal sealed partial class WorkerProcess
{
    private async Task ReadLoopAsync()
    {
        var reader = new WorkerFrameReader(_process.StandardOutput.BaseStream, MaxInboundFrame);
        try
        {
            while (await reader.ReadAsync(CancellationToken.None) is { } frame)
            {
                await DispatchAsync(frame.Type, frame.Payload);
                if (_exited.Task.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The pipe broke: handled below as an exit.
        }
        catch (WorkerException e)
        {
            Fail(e);
            return;
        }
        catch (Exception e)
        {
            // Whatever ends this loop must fail the machine, or every caller would wait forever.
            Fail(new WorkerException($"reading from the VM worker failed ({e.GetType().Name}: {e.Message})", e));
            return;
        }

        await WaitForExitQuietlyAsync();
        var code = _process.HasExited ? _process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) : "?";
        var tail = StderrTail();
        Fail(new WorkerException(tail.Length == 0
            ? $"the VM worker exited (code {code})"
            : $"the VM worker exited (code {code}): {LastLines(tail, 5)}"));
    }

    private async Task WaitForExitQuietlyAsync()
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(1));
        }
        catch (TimeoutException)
        {
            // Not exited yet: the stdout EOF alone means it is useless to us.
        }
    }

    private static string LastLines(string text, int count)
    {
        var lines = text.Split('\n');
        return string.Join(" | ", lines.Skip(Math.Max(0, lines.Length - count)).Select(l => l.Trim()));
    }

    // Only the console ports can make this wait (their backpressure); serial and net never block it.
    private async ValueTask DispatchAsync(WorkerFrameType type, byte[] payload)
    {
        switch (type)
        {
            case WorkerFrameType.Event:
                OnEvent(payload);
                break;
            case WorkerFrameType.Serial:
                Channels.OnSerial(payload);
                break;
            case WorkerFrameType.Console:
                if (payload.Length == 0)
                {
                    Fail(new WorkerException("the VM worker sent a console frame without a port"));
                    break;
                }

                await Channels.OnConsoleAsync(payload[0], payload.AsMemory(1), CancellationToken.None);
                break;
            case WorkerFrameType.Net:
                Channels.OnNet(payload);
                break;
            case WorkerFrameType.File:
                OnFileFrame(payload);
                break;
            default:
                Fail(new WorkerException($"the VM worker sent an unknown frame type {(byte)type}"));
                break;
        }
    }

    private void OnEvent(byte[] payload)
    {
        JsonObject? message;
        try
        {
            message = JsonNode.Parse(payload) as JsonObject;
        }
        catch (JsonException)
        {
            message = null;
        }

        if (message is null)
        {
            Fail(new WorkerException("the VM worker sent an unparsable event"));
            return;
        }

        var kind = message["ev"]?.GetValue<string>();
        var id = message["id"] is JsonValue idValue && idValue.TryGetValue<int>(out var parsed) ? parsed : 0;
        switch (kind)
        {
            case "ready":
                _ready.TrySetResult();
                break;
            case "constructed":
                Util.PhaseTrace.Mark($"worker: v86 constructed in {message["constructMs"]} ms, waiting for the state");
                _constructed.TrySetResult();
                break;
            case "started":
                Util.PhaseTrace.Mark($"worker: v86 constructed in {message["constructMs"]} ms, waited {message["waitedMs"]} ms for the state, restored in {message["restoreMs"]} ms");
                _started.TrySetResult(message["restored"]?.GetValue<bool>() ?? false);
                break;
            case "saved":
            case "stats":
            case "suspended":
            case "resumed":
            case "file":
                if (_pendingRequests.TryGetValue(id, out var pending))
                {
                    pending.TrySetResult(message);
                }

                break;
            case "error":
                var error = new WorkerException($"v86 {message["op"]?.ToString() ?? "?"} failed: {message["message"]?.ToString() ?? "unknown error"}");
                if (id != 0 && _pendingRequests.TryGetValue(id, out var failed))
                {
                    failed.TrySetException(error);
                }
                else if (id != 0 && _pendingGets.TryRemove(id, out var failedGet))
                {
                    failedGet.TrySetException(error);
                }
                else if (message["op"]?.ToString() == "start")
                {
                    _started.TrySetException(error);
                    _constructed.TrySetException(error);
                }
                else
                {
                    Fail(error);
                }

                break;
            default:
                // Unknown events from a newer worker are ignored, not fatal.
                break;
        }
    }
}
