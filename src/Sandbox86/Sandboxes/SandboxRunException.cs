namespace Sandbox86.Sandboxes;

/// <summary>A run that cannot start as specified (no command, a missing copy source, a relative guest path).</summary>
public sealed class SandboxRunException : Sandbox86Exception
{
    /// <summary>Creates the exception with a message for the user.</summary>
    public SandboxRunException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message for the user and the error that caused it.</summary>
    public SandboxRunException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
