using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Sandbox86.Client;

/// <summary>Commands: envd's <c>process.Process</c> (Start as a Connect server stream, SendInput, CloseStdin, SendSignal, Update).</summary>
public sealed partial class SandboxClient
{
    /// <summary>
    /// Starts a command and returns once the guest has started it (its pid known). Read its output with
    /// <see cref="SandboxProcess.ReadOutputAsync"/>; a program that cannot run throws
    /// <see cref="SandboxProcessStartException"/> (127 not found, 126 not executable).
    /// </summary>
    public async Task<SandboxProcess> StartProcessAsync(string sandboxId, SandboxProcessOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Command.Count == 0)
        {
            throw new ArgumentException("a command is required", nameof(options));
        }

        var envs = new JsonObject();
        foreach (var (k, v) in options.Env)
        {
            envs[k] = v;
        }

        var process = new JsonObject
        {
            ["cmd"] = options.Command[0],
            ["args"] = new JsonArray([.. options.Command.Skip(1).Select(a => (JsonNode)a)]),
            ["envs"] = envs,
        };
        if (options.WorkingDirectory is { } cwd)
        {
            process["cwd"] = cwd;
        }

        var start = new JsonObject { ["process"] = process, ["stdin"] = options.Stdin };
        if (options.Pty is { } size)
        {
            start["pty"] = new JsonObject { ["size"] = new JsonObject { ["rows"] = size.Rows, ["cols"] = size.Columns } };
        }

        if (options.Tag is { } tag)
        {
            start["tag"] = tag;
        }

        var request = await EnvdRequestAsync(HttpMethod.Post, sandboxId, "/process.Process/Start", options.User, cancellationToken).ConfigureAwait(false);
        HttpResponseMessage response;
        try
        {
            request.Content = new ByteArrayContent(ConnectFrames.Envelope(JsonSerializer.SerializeToUtf8Bytes(start)));
            request.Content.Headers.ContentType = ConnectStreamType;
            request.Headers.Add("Keepalive-Ping-Interval", "30");
            if (options.Timeout is { } timeout)
            {
                request.Headers.Add("Connect-Timeout-Ms", Invariant((long)Math.Max(1, timeout.TotalMilliseconds)));
            }

            response = await SendStreamingAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            request.Dispose();
        }

        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var first = await ConnectFrames.ReadAsync(body, cancellationToken).ConfigureAwait(false)
                ?? throw new SandboxApiException(502, "internal", "the server ended the stream before the command started");
            using var doc = first.Message;
            if ((first.Flags & ConnectFrames.EndStream) != 0)
            {
                var error = ConnectFrames.EndError(doc.RootElement) ?? new SandboxApiException(502, "internal", "the stream ended before the command started");
                throw StartFailure(options.Command[0], error);
            }

            var pid = ClientJson.Number(ClientJson.Child(ClientJson.Child(doc.RootElement, "event"), "start"), "pid");
            if (pid is not { } p || p <= 0 || p > uint.MaxValue)
            {
                throw new SandboxApiException(502, "internal", "the first event of the stream is not a start event with a pid");
            }

            return new SandboxProcess(this, sandboxId, options.User, (uint)p, response, body, options.Pty is not null);
        }
        catch
        {
            await body.DisposeAsync().ConfigureAwait(false);
            response.Dispose();
            throw;
        }
    }

    internal Task SendInputAsync(string sandboxId, string? user, uint pid, ReadOnlyMemory<byte> data, bool pty, CancellationToken cancellationToken) =>
        UnaryVoidAsync(sandboxId, "process.Process/SendInput", new JsonObject
        {
            ["process"] = new JsonObject { ["pid"] = pid },
            ["input"] = new JsonObject { [pty ? "pty" : "stdin"] = Convert.ToBase64String(data.Span) },
        }, user, cancellationToken);

    internal Task CloseStdinAsync(string sandboxId, string? user, uint pid, CancellationToken cancellationToken) =>
        UnaryVoidAsync(sandboxId, "process.Process/CloseStdin", new JsonObject { ["process"] = new JsonObject { ["pid"] = pid } }, user, cancellationToken);

    internal Task SignalAsync(string sandboxId, string? user, uint pid, SandboxSignal signal, CancellationToken cancellationToken) =>
        UnaryVoidAsync(sandboxId, "process.Process/SendSignal", new JsonObject
        {
            ["process"] = new JsonObject { ["pid"] = pid },
            ["signal"] = signal == SandboxSignal.Kill ? "SIGNAL_SIGKILL" : "SIGNAL_SIGTERM",
        }, user, cancellationToken);

    internal Task ResizeAsync(string sandboxId, string? user, uint pid, int rows, int columns, CancellationToken cancellationToken) =>
        UnaryVoidAsync(sandboxId, "process.Process/Update", new JsonObject
        {
            ["process"] = new JsonObject { ["pid"] = pid },
            ["pty"] = new JsonObject { ["size"] = new JsonObject { ["rows"] = rows, ["cols"] = columns } },
        }, user, cancellationToken);

    private async Task UnaryVoidAsync(string sandboxId, string method, JsonObject message, string? user, CancellationToken cancellationToken)
    {
        using var _ = await UnaryAsync(sandboxId, method, message, user, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>envd refuses a program that cannot run with <c>could not execute 'X' (exit N)</c>; N is the agent's shell-style code.</summary>
    internal static Sandbox86Exception StartFailure(string command, SandboxApiException error)
    {
        var match = ExitInMessage().Match(error.Message);
        if (error.ErrorCode == "invalid_argument" && match.Success && int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 125 and <= 127)
        {
            var reason = code switch
            {
                127 => "executable file not found in $PATH or no such file",
                126 => "permission denied or not an executable",
                _ => "the guest agent could not set up the command",
            };
            return new SandboxProcessStartException(command, code, $"exec failed: \"{command}\": {reason}");
        }

        return error;
    }

    [GeneratedRegex(@"\(exit (\d+)\)")]
    private static partial Regex ExitInMessage();
}
