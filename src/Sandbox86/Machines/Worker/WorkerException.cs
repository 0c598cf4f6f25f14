namespace Sandbox86.Machines.Worker;

/// <summary>The VM worker process failed, exited or broke the pipe protocol.</summary>
public sealed class WorkerException : Sandbox86Exception
{
    /// <summary>Creates the exception with a message for the user.</summary>
    public WorkerException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message for the user and the error that caused it.</summary>
    public WorkerException(string message, Exception inner) : base(message, inner)
    {
    }
}
