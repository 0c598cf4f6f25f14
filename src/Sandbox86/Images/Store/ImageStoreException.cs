namespace Sandbox86.Images.Store;

/// <summary>A user-facing problem with the image store (unknown image, bad name, corrupt manifest).</summary>
public sealed class ImageStoreException : Sandbox86Exception
{
    /// <summary>Creates the exception with a message for the user.</summary>
    public ImageStoreException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message for the user and the error that caused it.</summary>
    public ImageStoreException(string message, Exception inner) : base(message, inner)
    {
    }
}
