namespace Sandbox86.Images.Build;

/// <summary>A host tool's exit code and the tail of its combined output (bounded to 64 KiB).</summary>
internal readonly record struct HostCommandResult(int ExitCode, string Output);
