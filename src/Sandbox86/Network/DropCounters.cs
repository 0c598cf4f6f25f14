namespace Sandbox86.Network;

/// <summary>Thread-safe counts by <see cref="DropReason"/>.</summary>
internal sealed class DropCounters
{
    private readonly long[] _counts = new long[Enum.GetValues<DropReason>().Length];

    public void Add(DropReason reason) => Interlocked.Increment(ref _counts[(int)reason]);

    public long this[DropReason reason] => Interlocked.Read(ref _counts[(int)reason]);

    public IReadOnlyDictionary<DropReason, long> Snapshot()
    {
        var d = new Dictionary<DropReason, long>();
        for (var i = 0; i < _counts.Length; i++)
        {
            var v = Interlocked.Read(ref _counts[i]);
            if (v != 0)
            {
                d[(DropReason)i] = v;
            }
        }

        return d;
    }
}
