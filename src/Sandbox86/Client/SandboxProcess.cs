using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Sandbox86.Client;

/// <summary>
/// A command running in a sandbox, attached to its output stream. Read the output once with
/// <see cref="ReadOutputAsync"/> (or let <see cref="WaitAsync"/> discard it), then the result is known.
/// Disposing detaches: the command keeps running in the sandbox.
/// </summary>
public sealed class SandboxProcess : IAsyncDisposable
{
    private readonly SandboxClient _client;
    private readonly string _sandboxId;
    private readonly string? _user;
    private readonly HttpResponseMessage _response;
    private readonly Stream _body;
    private readonly bool _pty;
    private SandboxProcessResult? _result;
    private int _reading;

    internal SandboxProcess(SandboxClient client, string sandboxId, string? user, uint pid, HttpResponseMessage response, Stream body, bool pty = false)
    {
        _client = client;
        _sandboxId = sandboxId;
        _user = user;
        Pid = pid;
        _response = response;
        _body = body;
        _pty = pty;
    }

    /// <summary>The command's pid in the guest.</summary>
    public uint Pid { get; }

    /// <summary>How it ended, once the output has been read to the end; null before.</summary>
    public SandboxProcessResult? Result => _result;

    /// <summary>
    /// The output as the guest writes it, until the command ends (then <see cref="Result"/> is set). Awaiting
    /// slowly is the backpressure: the server stops reading the guest when we stop reading it.
    /// </summary>
    public async IAsyncEnumerable<SandboxOutput> ReadOutputAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _reading, 1) != 0)
        {
            throw new InvalidOperationException("the output of a process can be read only once");
        }

        while (_result is null)
        {
            var frame = await ConnectFrames.ReadAsync(_body, cancellationToken).ConfigureAwait(false)
                ?? throw new SandboxApiException(502, "internal", "the server ended the stream without an end event");
            using var doc = frame.Message;
            if ((frame.Flags & ConnectFrames.EndStream) != 0)
            {
                throw ConnectFrames.EndError(doc.RootElement) ?? new SandboxApiException(502, "internal", "the stream ended without an end event");
            }

            var ev = ClientJson.Child(doc.RootElement, "event");
            if (ClientJson.Child(ev, "data") is { ValueKind: JsonValueKind.Object } data)
            {
                foreach (var (name, kind) in new[] { ("stdout", SandboxOutputKind.Stdout), ("stderr", SandboxOutputKind.Stderr), ("pty", SandboxOutputKind.Pty) })
                {
                    if (ClientJson.String(data, name) is { Length: > 0 } base64)
                    {
                        yield return new SandboxOutput(kind, Decode(base64));
                    }
                }
            }
            else if (ClientJson.Child(ev, "end") is { ValueKind: JsonValueKind.Object } end)
            {
                _result = ToResult(end);
            }
        }
    }

    /// <summary>Waits for the command to end, discarding output not yet read.</summary>
    public async Task<SandboxProcessResult> WaitAsync(CancellationToken cancellationToken = default)
    {
        if (_result is null && _reading == 0)
        {
            await foreach (var _ in ReadOutputAsync(cancellationToken).ConfigureAwait(false))
            {
            }
        }

        return _result ?? throw new InvalidOperationException("the output is being read elsewhere; the result is known when that read ends");
    }

    /// <summary>Writes to the command's stdin (or its terminal); needs <see cref="SandboxProcessOptions.Stdin"/> or a PTY.</summary>
    public Task WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default) =>
        _client.SendInputAsync(_sandboxId, _user, Pid, data, _pty, cancellationToken);

    /// <summary>Closes stdin: the command reads end of file.</summary>
    public Task CloseStdinAsync(CancellationToken cancellationToken = default) =>
        _client.CloseStdinAsync(_sandboxId, _user, Pid, cancellationToken);

    /// <summary>Signals the command's whole process group.</summary>
    public Task SignalAsync(SandboxSignal signal, CancellationToken cancellationToken = default) =>
        _client.SignalAsync(_sandboxId, _user, Pid, signal, cancellationToken);

    /// <summary>Resizes the terminal of a PTY command.</summary>
    public Task ResizeAsync(int rows, int columns, CancellationToken cancellationToken = default) =>
        _client.ResizeAsync(_sandboxId, _user, Pid, rows, columns, cancellationToken);

    /// <summary>Detaches from the output stream (the command keeps running).</summary>
    public async ValueTask DisposeAsync()
    {
        await _body.DisposeAsync().ConfigureAwait(false);
        _response.Dispose();
    }

    internal static SandboxProcessResult ToResult(JsonElement end)
    {
        var status = ClientJson.String(end, "status") ?? "";
        var exited = ClientJson.Bool(end, "exited") ?? false;
        var code = (int)(ClientJson.Number(end, "exitCode") ?? 0);
        if (!exited && status.StartsWith("signal: ", StringComparison.Ordinal))
        {
            // A shell reports death by signal N as 128+N; docker exec does the same.
            code = 128 + status["signal: ".Length..] switch
            {
                "killed" => 9,
                "terminated" => 15,
                "interrupt" => 2,
                var other when other.StartsWith("signal ", StringComparison.Ordinal) && int.TryParse(other.AsSpan(7), out var n) && n is > 0 and < 128 => n,
                _ => 0,
            };
        }

        return new SandboxProcessResult(code, exited, status, ClientJson.String(end, "error"));
    }

    private static byte[] Decode(string base64)
    {
        try
        {
            return Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw new SandboxApiException(502, "internal", "the server sent output that is not base64");
        }
    }
}
