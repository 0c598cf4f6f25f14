namespace Sandbox86.Web;

/// <summary>A site could not be built: missing assets, a bad option or an unusable target directory.</summary>
public sealed class WebSiteException : Sandbox86Exception
{
    /// <summary>Creates the exception.</summary>
    public WebSiteException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public WebSiteException(string message, Exception inner) : base(message, inner) { }
}
