namespace Sandbox86.Mounts.Wire;

/// <summary>A 9P message is malformed (truncated, a length past its end, a size out of bounds).</summary>
public sealed class NineFormatException(string message) : Exception(message);
