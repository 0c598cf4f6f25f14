namespace Sandbox86.Machines;

/// <summary>A machine could not be started, restored or used; the message is meant for the user.</summary>
public sealed class MachineException : Sandbox86Exception
{
    /// <summary>Creates the exception with a message for the user.</summary>
    public MachineException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message for the user and the error that caused it.</summary>
    public MachineException(string message, Exception inner) : base(message, inner)
    {
    }
}
