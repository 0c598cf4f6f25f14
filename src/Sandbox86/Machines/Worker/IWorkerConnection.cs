namespace Sandbox86.Machines.Worker;

/// <summary>
/// What a <see cref="Machine"/> needs from the process hosting its VM: start or restore it, save its
/// state, exchange channel bytes, and learn when and why it died. <see cref="WorkerProcess"/> is the real
/// one; unit tests script a fake (snapshot policy, panics, floods) without Node or a guest.
/// </summary>
internal interface IWorkerConnection : IAsyncDisposable
{
    /// <summary>What the guest produced, already split into per-channel queues.</summary>
    WorkerChannels Channels { get; }

    /// <summary>Completes with the reason when the worker is gone (exit, crash, protocol error, kill).</summary>
    Task<WorkerException> Exited { get; }

    bool HasExited { get; }

    int ProcessId { get; }

    /// <summary>Boots, or restores the raw state file <paramref name="state"/> yields; returns when the VM runs.</summary>
    Task StartVmAsync(WorkerStartConfig config, Task<string>? state, CancellationToken cancellationToken);

    /// <summary>Writes v86's raw state to <paramref name="path"/>; returns its size.</summary>
    Task<long> SaveStateAsync(string path, CancellationToken cancellationToken);

    /// <summary>Stops the emulator (no guest instruction runs after this returns) until <see cref="ResumeAsync"/>.</summary>
    Task SuspendAsync(CancellationToken cancellationToken);

    /// <summary>Runs a suspended emulator again; a no-op on a running one.</summary>
    Task ResumeAsync(CancellationToken cancellationToken);

    /// <summary>Resident memory of the process hosting the VM.</summary>
    Task<long> GetRssAsync(CancellationToken cancellationToken);

    Task SendSerialAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken);

    /// <summary>Bytes to a virtio-console port (the agent is on <see cref="WorkerConsolePorts.Agent"/>).</summary>
    Task SendConsoleAsync(int port, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken);

    Task SendNetAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken);

    /// <summary>Kills the worker; every pending call fails with <paramref name="reason"/>.</summary>
    void Abort(string reason);
}
