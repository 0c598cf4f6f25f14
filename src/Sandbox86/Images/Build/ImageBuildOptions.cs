namespace Sandbox86.Images.Build;

/// <summary>What to build and how.</summary>
public sealed record ImageBuildOptions
{
    /// <summary>The name the image is stored under (what <c>run IMAGE</c> and <c>--image</c> refer to).</summary>
    public string Name { get; init; } = "default";
    /// <summary>Where the root filesystem comes from; every kind but Debian also needs <see cref="SourcePath"/>.</summary>
    public ImageSourceKind Source { get; init; } = ImageSourceKind.Debian;
    /// <summary>The directory, tarball, OCI archive, env86 image or Dockerfile for non-Debian sources.</summary>
    public string? SourcePath { get; init; }
    /// <summary>Extra Debian packages for <see cref="ImageSourceKind.Debian"/>.</summary>
    public IReadOnlyList<string> Packages { get; init; } = [];
    /// <summary>The Debian release debootstrap installs (Debian source only).</summary>
    public string Suite { get; init; } = "bookworm";
    /// <summary>Guest RAM in MiB the image boots with unless the caller asks for another size.</summary>
    public int MemoryMb { get; init; } = 256;
    /// <summary>zstd-compress chunks (v86 decompresses names ending in .zst).</summary>
    public bool Compress { get; init; } = true;
    /// <summary>Kernel command line; the tuned default when null.</summary>
    public string? Cmdline { get; init; }

    /// <summary>
    /// Measured here: these cut a 36 s boot to ~14 s (DESIGN.md). <c>nokaslr</c> spares the kernel's XZ
    /// decompressor the random placement and relocation pass: the time before the kernel's clock starts
    /// fell from 153 s to 127 s in a paired cold boot at load ~50 (DESIGN.md, issue 10 item 3).
    /// </summary>
    public const string DefaultCmdline =
        "console=ttyS0 quiet loglevel=3 cryptomgr.notests noisapnp mitigations=off tsc=reliable random.trust_cpu=on init_on_free=on nowatchdog nokaslr";

    /// <summary>Packages every Debian-built image carries.</summary>
    public static readonly IReadOnlyList<string> BasePackages = ["python3", "busybox"];
}
