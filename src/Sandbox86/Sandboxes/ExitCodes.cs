using Sandbox86.Guest;

namespace Sandbox86.Sandboxes;

/// <summary>Exit codes as <c>docker run</c> and a shell report them.</summary>
public static class ExitCodes
{
    /// <summary>The command ran longer than its timeout and was killed (coreutils <c>timeout</c>'s code).</summary>
    public const int TimedOut = 124;

    /// <summary>sandbox86 itself failed (the VM, the image, the agent), as <c>docker run</c>'s 125.</summary>
    public const int ToolError = 125;

    /// <summary>The command's exit code; 128+N when a signal N ended it; <see cref="TimedOut"/> on a timeout.</summary>
    public static int Of(ExecResult result) =>
        result.TimedOut ? TimedOut : result.Signal != 0 ? 128 + result.Signal : result.ExitCode;
}
