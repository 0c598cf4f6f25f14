namespace Sandbox86.Machines.Worker;

/// <summary>Frame types on the pipe between C# and the Node worker (see worker/worker.mjs).</summary>
internal enum WorkerFrameType : byte
{
    Control = 1,
    Event = 2,
    Serial = 3,
    Agent = 4,
    Net = 5,
}
