namespace Sandbox86.Machines.Fork;

/// <summary>One child of <see cref="MachineFork.ForkAsync"/>: its machine, or why it could not start.</summary>
/// <param name="Machine">The running child (the caller owns it), or null when it failed.</param>
/// <param name="Error">Why the child failed, or null.</param>
public sealed record ForkResult(Machine? Machine, Exception? Error);
