namespace Sandbox86.Runtime;

/// <summary>The host lacks something sandbox86 needs; the message names the command that installs it.</summary>
public sealed class HostPrerequisiteException : Sandbox86Exception
{
    public HostPrerequisiteException(string message) : base(message)
    {
    }

    public HostPrerequisiteException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>The check that failed.</summary>
    public HostCheck? Check { get; init; }
}
