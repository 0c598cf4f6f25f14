namespace Sandbox86.Sandboxes;

/// <summary>What a copy out did: files written, and entries left out (symlinks, devices, unsafe names).</summary>
public sealed class CopyOutReport
{
    public int Files { get; set; }

    public int Skipped { get; set; }
}
