namespace Sandbox86.Client;

/// <summary>One chunk of a command's output, in the order the guest wrote it.</summary>
/// <param name="Kind">The stream.</param>
/// <param name="Data">The bytes.</param>
public readonly record struct SandboxOutput(SandboxOutputKind Kind, ReadOnlyMemory<byte> Data);
