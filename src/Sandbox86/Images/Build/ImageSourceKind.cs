namespace Sandbox86.Images.Build;

/// <summary>Where an image's root filesystem comes from.</summary>
public enum ImageSourceKind
{
    /// <summary>debootstrap from the Debian archive (needs root).</summary>
    Debian,
    Directory,
    Tar,
    Oci,
    Env86,
    Dockerfile,
}
