namespace Sandbox86.Machines;

/// <summary>A machine could not be started, restored or used; the message is meant for the user.</summary>
public sealed class MachineException : Sandbox86Exception
{
    public MachineException(string message) : base(message)
    {
    }

    public MachineException(string message, Exception inner) : base(message, inner)
    {
    }
}
