using System.Text;
using Sandbox86.Server.Sandboxes;

namespace Sandbox86.Server.ControlPlane.Metrics;

/// <summary>
/// One metric of a running sandbox: CPU from its worker process (<see cref="WorkerCpuMeter"/>), memory as the
/// guest kernel reports it (<c>/proc/meminfo</c> through the agent), disk as the guest's statfs of <c>/</c>
/// (<see cref="GuestDisk"/>; 0 when the guest gives no figure).
/// </summary>
internal static class SandboxMetrics
{
    /// <summary>v86 emulates one CPU.</summary>
    public const int CpuCount = 1;

    private static readonly TimeSpan GuestReadTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The sandbox's metric now, or null when it is not running (paused sandboxes have none, as on E2B).</summary>
    public static async Task<SandboxMetricBody?> SampleAsync(SandboxEntry entry, CancellationToken cancellationToken)
    {
        if (entry.MachineOrNull is not { } machine || entry.Record.State != SandboxState.Running)
        {
            return null;
        }

        var cpu = entry.GetOrAddFeature(() => new WorkerCpuMeter(machine.WorkerProcessId)).Sample() ?? 0;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, entry.Stopping);
        timeout.CancelAfter(GuestReadTimeout);
        GuestMemory? memory;
        try
        {
            using var buffer = new MemoryStream();
            await machine.Agent.ReadFileAsync("/proc/meminfo", buffer, timeout.Token);
            memory = GuestMemory.Parse(Encoding.ASCII.GetString(buffer.GetBuffer(), 0, (int)Math.Min(buffer.Length, 64 * 1024)));
        }
        catch (Exception e) when (e is Guest.AgentException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            memory = null;
        }

        GuestDisk? disk;
        try
        {
            var statfs = await machine.Agent.ExecAsync(new Guest.ExecRequest { Argv = GuestDisk.StatfsArgv, User = "root", Timeout = GuestReadTimeout, OutputCap = 4096 }, timeout.Token);
            disk = statfs.ExitCode == 0 ? GuestDisk.Parse(statfs.StdoutText) : null;
        }
        catch (Exception e) when (e is Guest.AgentException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            disk = null;
        }

        var total = memory?.Total ?? entry.Record.MemoryMb * 1048576L;
        var now = DateTimeOffset.UtcNow;
        return new SandboxMetricBody(now, now.ToUnixTimeSeconds(), CpuCount, Math.Round(cpu, 2), memory?.Used ?? 0, total, memory?.Cache ?? 0,
            disk?.Used ?? 0, disk?.Total ?? 0);
    }
}
