namespace Sandbox86.Mounts;

/// <summary>A requested host mount lies outside what the operator allows (<see cref="MountPolicy"/>); the message says why.</summary>
public sealed class MountDeniedException : Sandbox86Exception
{
    /// <summary>Creates the exception with a message for the user.</summary>
    public MountDeniedException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message for the user and its cause.</summary>
    public MountDeniedException(string message, Exception inner) : base(message, inner)
    {
    }
}
