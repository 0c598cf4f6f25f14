using System.Net;

namespace Sandbox86.Network.Policy;

/// <summary>
/// Names this network resolved, per address, so domain rules apply to the addresses the guest actually got from our
/// forwarder and to nothing else.
/// </summary>
internal sealed class DomainPins
{
    private const int MaxEntries = 65536;
    private readonly Dictionary<IPAddress, HashSet<string>> _names = [];
    private readonly Lock _lock = new();

    public void Pin(string name, IPAddress address)
    {
        lock (_lock)
        {
            if (!_names.TryGetValue(address, out var set))
            {
                if (_names.Count >= MaxEntries)
                {
                    // Bounded: a guest resolving millions of names loses the oldest pins, never memory.
                    _names.Remove(_names.Keys.First());
                }

                _names[address] = set = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            }

            if (set.Count < 64)
            {
                set.Add(name.TrimEnd('.'));
            }
        }
    }

    public string[] NamesFor(IPAddress address)
    {
        lock (_lock)
        {
            return _names.TryGetValue(address, out var set) ? [.. set] : [];
        }
    }
}
