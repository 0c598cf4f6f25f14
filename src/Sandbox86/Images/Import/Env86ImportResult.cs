using Sandbox86.Images.Fs;

namespace Sandbox86.Images.Import;

/// <summary>An imported env86 image: its tree (contents copied into our chunk store), report and boot info.</summary>
/// <param name="Tree">The rootfs from the image's fs.json.</param>
/// <param name="Report">Counts and warnings.</param>
/// <param name="Info">Kernel, initrd, cmdline and saved-state information from the image directory.</param>
internal sealed record Env86ImportResult(FsTree Tree, ImportReport Report, Env86ImageInfo Info);
