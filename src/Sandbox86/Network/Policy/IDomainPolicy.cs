using System.Net;

namespace Sandbox86.Network.Policy;

/// <summary>The domain rules the DNS forwarder applies: refuse denied names, pin answers so address rules can match them.</summary>
internal interface IDomainPolicy
{
    /// <summary>True when a query names a denied domain; the router counts and logs the denial.</summary>
    bool DeniesQuery(IReadOnlyCollection<string> names);

    /// <summary>True when an upstream answer names a denied domain; the router counts and logs the denial.</summary>
    bool DeniesAnswer(IReadOnlyCollection<string> names);

    /// <summary>Remembers that <paramref name="name"/> resolved to <paramref name="address"/>.</summary>
    void Pin(string name, IPAddress address);
}
