namespace Sandbox86.Images.Store;

/// <summary>A user-facing problem with the image store (unknown image, bad name, corrupt manifest).</summary>
public sealed class ImageStoreException : Sandbox86Exception
{
    public ImageStoreException(string message) : base(message)
    {
    }

    public ImageStoreException(string message, Exception inner) : base(message, inner)
    {
    }
}
