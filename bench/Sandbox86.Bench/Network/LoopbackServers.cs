using System.Net;
using System.Net.Sockets;

namespace Sandbox86.Bench.Network;

/// <summary>Tiny servers on 127.0.0.1 for the guest to talk to: an HTTP blob server and a byte sink.</summary>
internal sealed class LoopbackServers : IAsyncDisposable
{
    private readonly TcpListener _http = new(IPAddress.Loopback, 0);
    private readonly TcpListener _sink = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly byte[] _blob;
    private readonly List<Task> _loops = [];

    public LoopbackServers(int blobBytes)
    {
        _blob = new byte[blobBytes];
        Random.Shared.NextBytes(_blob);
        _http.Start();
        _sink.Start();
        _loops.Add(AcceptLoop(_http, ServeHttpAsync));
        _loops.Add(AcceptLoop(_sink, SinkAsync));
    }

    public int HttpPort => ((IPEndPoint)_http.LocalEndpoint).Port;
    public int SinkPort => ((IPEndPoint)_sink.LocalEndpoint).Port;
    public int BlobBytes => _blob.Length;
    public long SunkBytes;

    private Task AcceptLoop(TcpListener listener, Func<Socket, Task> serve) => Task.Run(async () =>
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var socket = await listener.AcceptSocketAsync(_stop.Token);
                _ = Task.Run(() => serve(socket));
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
        }
    });

    private async Task ServeHttpAsync(Socket socket)
    {
        using var _ = socket;
        await using var stream = new NetworkStream(socket);
        var buffer = new byte[8192];
        var head = "";
        while (!head.Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var n = await stream.ReadAsync(buffer);
            if (n == 0)
            {
                return;
            }

            head += System.Text.Encoding.ASCII.GetString(buffer, 0, n);
        }

        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {_blob.Length}\r\nConnection: close\r\n\r\n"));
        await stream.WriteAsync(_blob);
        socket.Shutdown(SocketShutdown.Send);
    }

    private async Task SinkAsync(Socket socket)
    {
        using var _ = socket;
        var buffer = new byte[65536];
        int n;
        while ((n = await socket.ReceiveAsync(buffer)) > 0)
        {
            Interlocked.Add(ref SunkBytes, n);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _http.Stop();
        _sink.Stop();
        await Task.WhenAll(_loops);
        _stop.Dispose();
    }
}
