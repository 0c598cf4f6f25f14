namespace Sandbox86.Images.Import;

/// <summary>What an env86 image's image.json (a v86 config) says about booting it, plus its saved state.</summary>
internal sealed record Env86ImageInfo
{
    /// <summary>Kernel command line, if image.json has one.</summary>
    public string? Cmdline { get; init; }

    /// <summary>Absolute path of the bzImage when image.json points at a file in the image directory.</summary>
    public string? KernelPath { get; init; }

    /// <summary>Absolute path of the initrd when image.json points at a file in the image directory.</summary>
    public string? InitrdPath { get; init; }

    /// <summary>True when v86 should take kernel and initrd from the 9p filesystem's /boot (bzimage_initrd_from_filesystem).</summary>
    public bool KernelFromFilesystem { get; init; }

    /// <summary>Guest memory in bytes, if image.json sets it.</summary>
    public long? MemorySize { get; init; }

    /// <summary>Absolute path of initial.state or initial.state.zst, if the image has a saved state.</summary>
    public string? InitialStatePath { get; init; }
}
