namespace Sandbox86.Images;

/// <summary>
/// A user-facing problem with an image or its inputs: a corrupt archive, an unsafe path,
/// a wrong architecture. The message names the file or entry at fault and is meant to be shown as is.
/// </summary>
public sealed class ImageException : Sandbox86Exception
{
    /// <summary>Creates an exception with no message (required by the exception pattern).</summary>
    public ImageException()
    {
    }

    /// <summary>Creates an exception with a message for the user.</summary>
    public ImageException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message for the user and the low-level cause.</summary>
    public ImageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
