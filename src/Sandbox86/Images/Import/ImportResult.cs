using Sandbox86.Images.Fs;

namespace Sandbox86.Images.Import;

/// <summary>The tree an importer built (its file contents are in the chunk store it was given) and its report.</summary>
/// <param name="Tree">The imported rootfs.</param>
/// <param name="Report">Counts, warnings and, for OCI images, the image config.</param>
internal sealed record ImportResult(FsTree Tree, ImportReport Report);
