namespace Sandbox86.Machines.Worker;

/// <summary>The virtio-console ports of a VM (v86 has four: 0..3, <c>/dev/hvc0..3</c> in the guest).</summary>
internal static class WorkerConsolePorts
{
    /// <summary>Port 0 is hvc0, which Linux may claim as a console; the agent has always used port 1 (<c>/dev/hvc1</c>).</summary>
    public const int Agent = 1;

    /// <summary>v86 0.5.462 creates exactly this many ports (<c>max_nr_ports</c> in its virtio_console.js).</summary>
    public const int Count = 4;

    /// <summary>What a machine forwards unless told otherwise: only the agent's port.</summary>
    public static readonly IReadOnlyList<int> Default = [Agent];

    public static void Validate(IReadOnlyList<int> ports)
    {
        if (ports.Count == 0 || ports.Any(p => p < 0 || p >= Count) || ports.Distinct().Count() != ports.Count)
        {
            throw new WorkerException($"virtio-console ports must be distinct numbers 0..{Count - 1} (got {string.Join(",", ports)})");
        }
    }
}
