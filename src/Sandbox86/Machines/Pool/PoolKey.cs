namespace Sandbox86.Machines.Pool;

/// <summary>One lane of the pool: an image name and a guest memory size.</summary>
internal readonly record struct PoolKey(string ImageName, int MemoryMb);
