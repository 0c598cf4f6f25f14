using System.Net;
using System.Security.Cryptography;
using Sandbox86.Guest;
using Sandbox86.IntegrationTests.Infrastructure;
using Sandbox86.Machines;
using Sandbox86.Network;
using Sandbox86.Network.Relay;

namespace Sandbox86.IntegrationTests.Network;

/// <summary>
/// v86's own WebSocket relay client (the one browsers use with <c>relay_url</c>) against sandbox86's
/// relay: a guest whose NIC v86 connects to <c>ws://127.0.0.1:PORT/</c> downloads from a host server.
/// </summary>
public sealed class RelayInteropTests
{
    [Fact]
    public async Task A_v86_guest_using_relay_url_reaches_the_host_through_the_sandbox86_relay()
    {
        var body = RandomNumberGenerator.GetBytes(1024 * 1024);
        await using var server = new TestHttpServer(body);
        var listening = new TaskCompletionSource<IPEndPoint>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var relay = WebSocketRelay.RunAsync(new RelayOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Network = new NetworkOptions { HostPorts = [server.Port] },
            OnListening = listening.SetResult,
        }, stop.Token);
        var endpoint = await listening.Task.WaitAsync(TimeSpan.FromSeconds(10));
        try
        {
            await using var vm = await Machine.StartAsync(DefaultImage.Open(), new MachineOptions { RelayUrl = $"ws://{endpoint}/" }, CancellationToken.None);
            await vm.Agent.ConfigureNetworkAsync(new NetworkConfig
            {
                Address = IPAddress.Parse("10.0.2.15"),
                Gateway = IPAddress.Parse("10.0.2.2"),
                Dns = [IPAddress.Parse("10.0.2.3")],
            }, CancellationToken.None);
            var result = await vm.Agent.ExecAsync(new ExecRequest
            {
                Shell = $"busybox wget -q -O - http://10.0.2.2:{server.Port}/blob | sha256sum | cut -d' ' -f1",
                Timeout = TimeSpan.FromSeconds(120),
            }, CancellationToken.None);
            Assert.True(result.ExitCode == 0, result.StderrText);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(body)), result.StdoutText.Trim());
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await relay;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
