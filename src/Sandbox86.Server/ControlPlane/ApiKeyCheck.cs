using System.Security.Cryptography;
using System.Text;

namespace Sandbox86.Server.ControlPlane;

/// <summary>Checks <c>X-API-Key</c> against the configured keys in constant time.</summary>
internal sealed class ApiKeyCheck
{
    private readonly byte[][] _keys;

    public ApiKeyCheck(IReadOnlyList<string> keys) => _keys = [.. keys.Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k)))];

    public bool AcceptsAny => _keys.Length == 0;

    public bool IsAllowed(string? presented)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return false;
        }

        // Compare hashes so neither the length nor a prefix of a key leaks through timing.
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        var match = AcceptsAny;
        foreach (var key in _keys)
        {
            match |= CryptographicOperations.FixedTimeEquals(hash, key);
        }

        return match;
    }

    /// <summary>A new key in E2B's shape: <c>e2b_</c> and 40 hex digits.</summary>
    public static string NewKey() => "e2b_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
}
