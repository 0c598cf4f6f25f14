namespace Sandbox86.Guest;

/// <summary>Terminal size for a process run on a pseudo-terminal.</summary>
/// <param name="Rows">Rows, 1..65535.</param>
/// <param name="Columns">Columns, 1..65535.</param>
public readonly record struct PtySize(int Rows, int Columns);
