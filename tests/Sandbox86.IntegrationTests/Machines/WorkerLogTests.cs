using Sandbox86.Guest;
using Sandbox86.IntegrationTests.Infrastructure;
using Sandbox86.Machines;
using Sandbox86.Machines.Worker;

namespace Sandbox86.IntegrationTests.Machines;

/// <summary>
/// libv86 logs with console.log; the worker's stdout is the frame pipe. Frames toward a guest whose NIC is down
/// (no receive buffer posted) make v86 log "No buffer to write into!" once per frame: before the worker sent its
/// console to stderr, the first such line broke the pipe ("bad frame length (1646292814)", the bytes "No b",
/// seen in the clean-clone suite when two VMs shared a network).
/// </summary>
public sealed class WorkerLogTests
{
    [Fact]
    public async Task V86s_own_log_lines_never_reach_the_frame_pipe_and_a_flood_of_them_is_capped()
    {
        // No network attached: the restored guest's eth0 is down, so every frame finds no receive buffer.
        await using var vm = await Machine.StartAsync(DefaultImage.Open(), new MachineOptions(), CancellationToken.None);
        var frame = new byte[60];
        frame.AsSpan(0, 6).Fill(0xff);
        frame[12] = 0x08;
        frame[13] = 0x06;
        for (var i = 0; i < 300; i++)
        {
            await vm.SendNetAsync(frame, CancellationToken.None);
        }

        var worker = (WorkerProcess)vm.WorkerConnection;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        WorkerStats stats;
        do
        {
            await Task.Delay(200);
            stats = await worker.GetStatsAsync(CancellationToken.None);
        }
        while (stats.LogLinesSuppressed == 0 && DateTime.UtcNow < deadline);

        var echo = await vm.Agent.ExecAsync(ExecRequest.ForArgv("echo", "still-framed"), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("still-framed\n", echo.StdoutText);
        Assert.Contains("No buffer to write into!", worker.StderrTail(), StringComparison.Ordinal);
        Assert.True(stats.LogLinesSuppressed > 0, "300 log lines in a few seconds were not capped");
    }
}
