using System.Diagnostics;
using System.Security.Cryptography;
using Sandbox86.Guest;
using Xunit.Abstractions;

namespace Sandbox86.Tests.Guest;

/// <summary>The agent on a tty (as on /dev/hvc1): raw mode must make the channel binary-safe.</summary>
public sealed class AgentDeviceModeTests(AgentBuildFixture build) : IClassFixture<AgentBuildFixture>
{
    [SkippableFact]
    public async Task Tty_device_carries_every_byte_value_unchanged()
    {
        var (master, slave) = PtyPair.Open();
        var psi = new ProcessStartInfo(build.AgentPath) { UseShellExecute = false, RedirectStandardError = true };
        psi.ArgumentList.Add("--device");
        psi.ArgumentList.Add(slave);
        psi.ArgumentList.Add("--no-system");
        using var agent = Process.Start(psi)!;
        agent.BeginErrorReadLine();
        var client = new AgentClient(master, new AgentClientOptions { HelloRetryInterval = TimeSpan.FromMilliseconds(200) });
        var path = Path.Combine(Path.GetTempPath(), "sbx86-tty-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await client.WaitReadyAsync(cts.Token);

            // Every byte value, including the ones a cooked tty would eat or translate (^C, ^D, ^S, CR, LF, DEL).
            var data = Enumerable.Range(0, 256 * 512).Select(i => (byte)i).ToArray();
            await client.WriteFileAsync(path, new MemoryStream(data), cancellationToken: cts.Token);
            var back = new MemoryStream();
            await client.ReadFileAsync(path, back, cts.Token);
            var r = await client.ExecAsync(ExecRequest.ForShell("printf 'a\\nb\\r\\n'"), cts.Token);

            Assert.Equal(SHA256.HashData(data), SHA256.HashData(back.ToArray()));
            Assert.Equal("a\nb\r\n", r.StdoutText);
        }
        finally
        {
            // Kill first: the pty read only returns (EIO) once the slave side is closed.
            agent.Kill();
            await agent.WaitForExitAsync();
            await client.DisposeAsync();
            File.Delete(path);
        }
    }
}
