namespace Sandbox86.Guest;

/// <summary>Guest system state to re-establish after a snapshot restore.</summary>
public sealed partial class AgentClient
{
    /// <summary>Sets the guest's wall clock (clock_settime).</summary>
    public Task SetClockAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var ns = (ulong)(now.ToUniversalTime() - DateTimeOffset.UnixEpoch).Ticks * 100;
        return RequestAsync(AgentMessageType.SetClock, new TlvWriter().UInt64(AgentTag.TimeNs, ns).ToArray(), cancellationToken);
    }

    /// <summary>Mixes host randomness (1..4096 bytes) into the guest pool, credited when the agent may.</summary>
    public Task ReseedEntropyAsync(ReadOnlyMemory<byte> seed, CancellationToken cancellationToken = default)
    {
        if (seed.IsEmpty || seed.Length > 4096)
        {
            throw new ArgumentOutOfRangeException(nameof(seed), "seed must be 1..4096 bytes");
        }

        return RequestAsync(AgentMessageType.Reseed, new TlvWriter().Bytes(AgentTag.Data, seed.Span).ToArray(), cancellationToken);
    }

    /// <summary>Applies IPv4 address, route, MAC, MTU and DNS settings to a guest interface.</summary>
    public Task ConfigureNetworkAsync(NetworkConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        return RequestAsync(AgentMessageType.NetConfig, config.Encode(), cancellationToken);
    }
}
