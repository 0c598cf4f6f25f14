using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sandbox86.ServerTests.Verbs;

/// <summary>
/// A scripted HTTP/1.1 server on a real loopback socket: each connection gets the next scripted raw answer
/// (status line, headers and body as given) and is closed; requests are kept for the test to inspect.
/// It produces on demand what the real server does not: garbage bodies, broken frames, odd errors.
/// </summary>
internal sealed class ScriptedHttpServer : IAsyncDisposable, IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Queue<byte[]> _answers = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public ScriptedHttpServer()
    {
        _listener.Start();
        _loop = AcceptAsync();
    }

    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    public List<string> Requests { get; } = [];

    public void Answer(int status, string contentType, byte[] body)
    {
        var head = $"HTTP/1.1 {status} X\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        lock (_answers)
        {
            _answers.Enqueue([.. Encoding.ASCII.GetBytes(head), .. body]);
        }
    }

    public void Answer(int status, string json) => Answer(status, "application/json", Encoding.UTF8.GetBytes(json));

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            using (client)
            {
                var stream = client.GetStream();
                var request = await ReadRequestAsync(stream);
                lock (Requests)
                {
                    Requests.Add(request);
                }

                byte[]? answer;
                lock (_answers)
                {
                    _answers.TryDequeue(out answer);
                }

                await stream.WriteAsync(answer ?? Encoding.ASCII.GetBytes("HTTP/1.1 599 unscripted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
            }
        }
    }

    private static async Task<string> ReadRequestAsync(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (!(buffer.Count >= 4 && buffer[^4] == '\r' && buffer[^3] == '\n' && buffer[^2] == '\r' && buffer[^1] == '\n'))
        {
            if (await stream.ReadAsync(one) == 0)
            {
                break;
            }

            buffer.Add(one[0]);
        }

        var head = Encoding.ASCII.GetString([.. buffer]);
        var length = head.Split("\r\n").Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            .Select(p => int.Parse(p[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
        var body = new byte[length];
        await stream.ReadExactlyAsync(body);
        return head + Encoding.UTF8.GetString(body);
    }

    public void Dispose() => _stop.Dispose();

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
    }
}
