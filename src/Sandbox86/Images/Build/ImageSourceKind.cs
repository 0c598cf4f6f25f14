namespace Sandbox86.Images.Build;

/// <summary>Where an image's root filesystem comes from.</summary>
public enum ImageSourceKind
{
    /// <summary>debootstrap from the Debian archive (needs root).</summary>
    Debian,
    /// <summary>A host directory that already holds a root filesystem.</summary>
    Directory,
    /// <summary>A tarball of a root filesystem, plain or gzip, zstd, xz or bzip2 compressed.</summary>
    Tar,
    /// <summary>An OCI image archive (e.g. <c>docker save</c> output): its layers are applied and its config kept.</summary>
    Oci,
    /// <summary>An env86 image directory (v86 fs index and files), copied into this image's own chunk store.</summary>
    Env86,
    /// <summary>A Dockerfile built for linux/386 by the host's Docker engine, then imported like an OCI archive.</summary>
    Dockerfile,
}
