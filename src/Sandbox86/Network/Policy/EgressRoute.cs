using System.Net;

namespace Sandbox86.Network.Policy;

/// <summary>The router's answer for one flow: the kind of route and, unless denied, the host address to dial.</summary>
internal readonly record struct EgressRoute(EgressRouteKind Kind, IPAddress? Target)
{
    public static readonly EgressRoute Denied = new(EgressRouteKind.Denied, null);
}
