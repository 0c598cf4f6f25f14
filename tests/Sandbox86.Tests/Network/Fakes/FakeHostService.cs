using System.Net;
using System.Net.Sockets;

namespace Sandbox86.Tests.Network.Fakes;

/// <summary>A TCP service on 127.0.0.1 that hands each accepted socket to the test.</summary>
internal sealed class FakeHostService : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public FakeHostService() => _listener.Start();

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public async Task<Socket> AcceptAsync()
    {
        using var cts = new CancellationTokenSource(5000);
        return await _listener.AcceptSocketAsync(cts.Token);
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>A loopback port with nothing listening (bound then released).</summary>
    public static int ClosedPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var p = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return p;
    }
}
