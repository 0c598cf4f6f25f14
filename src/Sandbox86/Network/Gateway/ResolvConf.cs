using System.Net;

namespace Sandbox86.Network.Gateway;

/// <summary>Reads the host's resolvers from resolv.conf.</summary>
internal static class ResolvConf
{
    public static IPEndPoint? FirstNameserver(string path = "/etc/resolv.conf")
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 2 && parts[0] == "nameserver" && IPAddress.TryParse(parts[1].Split('%')[0], out var ip))
                {
                    return new IPEndPoint(ip, 53);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }
}
