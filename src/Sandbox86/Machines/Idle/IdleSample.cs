namespace Sandbox86.Machines.Idle;

/// <summary>
/// One reading of what keeps a machine awake: <paramref name="Events"/> only grows (a call started, a
/// frame sent toward the guest, a keep-awake lease taken or returned), so two equal readings mean nothing
/// happened in between; <paramref name="Busy"/> says something is open right now (a running command, a
/// pending call, a TCP flow, a lease).
/// </summary>
public readonly record struct IdleSample(long Events, bool Busy)
{
    /// <summary>Both readings together: events add up, busy if either is.</summary>
    public static IdleSample operator +(IdleSample left, IdleSample right) => new(left.Events + right.Events, left.Busy || right.Busy);

    /// <summary>Both readings together (the named form of <c>+</c>).</summary>
    public static IdleSample Add(IdleSample left, IdleSample right) => left + right;
}
