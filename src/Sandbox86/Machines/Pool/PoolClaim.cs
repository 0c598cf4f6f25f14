namespace Sandbox86.Machines.Pool;

/// <summary>A machine handed out by <see cref="WarmPool.ClaimAsync"/>, and whether it came warm from the pool.</summary>
/// <param name="Machine">The running machine; the caller owns (disposes) it.</param>
/// <param name="FromPool">False when the pool was empty and the machine is a plain restore.</param>
public sealed record PoolClaim(Machine Machine, bool FromPool);
