namespace Sandbox86.Sandboxes;

/// <summary>A run that cannot start as specified (no command, a missing copy source, a relative guest path).</summary>
public sealed class SandboxRunException : Sandbox86Exception
{
    public SandboxRunException(string message)
        : base(message)
    {
    }

    public SandboxRunException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
