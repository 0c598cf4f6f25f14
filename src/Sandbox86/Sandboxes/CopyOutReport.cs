namespace Sandbox86.Sandboxes;

/// <summary>What a copy out did: files written, and entries left out (symlinks, devices, unsafe names).</summary>
public sealed class CopyOutReport
{
    /// <summary>Regular files written on the host.</summary>
    public int Files { get; set; }

    /// <summary>Guest entries not copied (symlinks, devices, unsafe names).</summary>
    public int Skipped { get; set; }
}
