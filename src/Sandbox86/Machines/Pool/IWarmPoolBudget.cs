namespace Sandbox86.Machines.Pool;

/// <summary>
/// A memory budget the warm pool charges its machines to (a server's <c>--memory-budget</c>): a pooled
/// machine holds its guest RAM from the moment its restore starts until it is claimed or dropped.
/// </summary>
public interface IWarmPoolBudget
{
    /// <summary>Reserves <paramref name="memoryMb"/> for a pooled machine; false when it does not fit (then the pool waits).</summary>
    bool TryReserve(int memoryMb);

    /// <summary>Returns a reservation (the machine was claimed, failed or dropped).</summary>
    void Release(int memoryMb);
}
