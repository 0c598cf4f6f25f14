namespace Sandbox86.Guest;

/// <summary>
/// A failure reported by the guest agent (with the guest's errno when it has one), or the loss of
/// the channel to it.
/// </summary>
public sealed class AgentException : Sandbox86Exception
{
    /// <summary>Creates an exception without details.</summary>
    public AgentException()
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public AgentException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and a cause.</summary>
    public AgentException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for an error the agent reported.</summary>
    public AgentException(string message, int errno)
        : base(message)
    {
        Errno = errno;
    }

    /// <summary>The guest's errno (2 = ENOENT, 13 = EACCES, …), or null for channel failures.</summary>
    public int? Errno { get; }

    /// <summary>True when the guest reported ENOENT.</summary>
    public bool IsNotFound => Errno == 2;
}
