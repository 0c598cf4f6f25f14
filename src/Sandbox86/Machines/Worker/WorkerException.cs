namespace Sandbox86.Machines.Worker;

/// <summary>The VM worker process failed, exited or broke the pipe protocol.</summary>
public sealed class WorkerException : Sandbox86Exception
{
    public WorkerException(string message) : base(message)
    {
    }

    public WorkerException(string message, Exception inner) : base(message, inner)
    {
    }
}
