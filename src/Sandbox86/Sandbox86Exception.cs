namespace Sandbox86;

/// <summary>
/// The base of the library's own errors (images, the image store, machines, the worker, the guest
/// agent). Its message is written for the user in the library's words; a front end such as the CLI
/// shows it as is and adds its own hints (flag names). Anything else that escapes the library is a bug.
/// </summary>
public abstract class Sandbox86Exception : Exception
{
    /// <summary>Creates an exception without details.</summary>
    protected Sandbox86Exception()
    {
    }

    /// <summary>Creates an exception with a message for the user.</summary>
    protected Sandbox86Exception(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message for the user and its cause.</summary>
    protected Sandbox86Exception(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
