namespace Sandbox86.Machines.Worker;

/// <summary>
/// Frame types on the pipe between C# and the Node worker (see worker/worker.mjs, whose
/// <c>FRAME_*</c> constants a unit test checks against this enum).
/// </summary>
internal enum WorkerFrameType : byte
{
    /// <summary>Host to worker: a JSON request (<c>op</c>).</summary>
    Control = 1,

    /// <summary>Worker to host: a JSON event (<c>ev</c>).</summary>
    Event = 2,

    /// <summary>Both ways: bytes of the guest's ttyS0.</summary>
    Serial = 3,

    /// <summary>
    /// Both ways: one byte with the virtio-console port number, then that port's bytes. The agent is on
    /// <see cref="WorkerConsolePorts.Agent"/>; more ports (a 9P channel, extra consoles) are configuration
    /// (<see cref="WorkerStartConfig.ConsolePorts"/>), not new frame types.
    /// </summary>
    Console = 4,

    /// <summary>Both ways: one Ethernet II frame of net0.</summary>
    Net = 5,

    /// <summary>
    /// Both ways: a u32 LE transfer id, then file bytes. Host to worker: a piece of a <c>filePut</c>;
    /// worker to host: the answer to one <c>fileGet</c> (fewer bytes than asked for = end of file).
    /// </summary>
    File = 6,
}
