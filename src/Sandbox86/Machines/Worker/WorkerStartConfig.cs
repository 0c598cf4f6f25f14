using System.Text.Json.Serialization;

namespace Sandbox86.Machines.Worker;

/// <summary>What the worker needs to construct its v86 instance (serialised as JSON to the worker).</summary>
internal sealed record WorkerStartConfig
{
    [JsonPropertyName("bios")] public required string Bios { get; init; }
    [JsonPropertyName("vgaBios")] public required string VgaBios { get; init; }
    [JsonPropertyName("memoryMb")] public required int MemoryMb { get; init; }
    [JsonPropertyName("kernel")] public required string Kernel { get; init; }
    [JsonPropertyName("initrd")] public required string Initrd { get; init; }
    [JsonPropertyName("cmdline")] public required string Cmdline { get; init; }
    [JsonPropertyName("fsIndex")] public required string FsIndex { get; init; }
    [JsonPropertyName("chunkDir")] public required string ChunkDir { get; init; }
    /// <summary>
    /// Hand the NIC to one of v86's own network backends instead of the frame channel: a relay
    /// (<c>ws://…</c>, e.g. <c>sandbox86 relay</c>) or <c>fetch</c> (v86's HTTP-only backend).
    /// </summary>
    [JsonPropertyName("relayUrl")] public string? RelayUrl { get; init; }

    /// <summary>
    /// The virtio-console ports the worker forwards (each a <see cref="WorkerFrameType.Console"/> frame with
    /// its port number); ports not listed are not connected.
    /// </summary>
    [JsonPropertyName("consolePorts")] public IReadOnlyList<int> ConsolePorts { get; init; } = WorkerConsolePorts.Default;

    /// <summary>
    /// Once the guest is quiet, the shortest wait for its next timer interrupt, in ms (0: never coalesce);
    /// null means the worker's default. See <see cref="MachineOptions.IdleTimerCoalescing"/>.
    /// </summary>
    [JsonPropertyName("idleTimerMs")] public int? IdleTimerMs { get; init; }

    /// <summary>Restore a state (sent later by <see cref="WorkerProcess.StartVmAsync"/>) instead of booting.</summary>
    [JsonPropertyName("restore")] public bool Restore { get; init; }

    /// <summary>The v86 configuration for booting or restoring <paramref name="image"/> with the given RAM.</summary>
    public static WorkerStartConfig For(Images.Store.StoredImage image, int memoryMb) => new()
    {
        Bios = HostFirmware.Bios,
        VgaBios = HostFirmware.VgaBios,
        MemoryMb = memoryMb,
        Kernel = image.KernelPath,
        Initrd = image.InitrdPath,
        Cmdline = image.Manifest.Cmdline,
        FsIndex = image.FsIndexPath,
        ChunkDir = image.ChunkDirectory,
    };
}
