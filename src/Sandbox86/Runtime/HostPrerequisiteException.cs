namespace Sandbox86.Runtime;

/// <summary>The host lacks something sandbox86 needs; the message names the command that installs it.</summary>
public sealed class HostPrerequisiteException : Sandbox86Exception
{
    /// <summary>Creates the exception with a message for the user.</summary>
    public HostPrerequisiteException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message for the user and the error that caused it.</summary>
    public HostPrerequisiteException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>The check that failed.</summary>
    public HostCheck? Check { get; init; }
}
