using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Sandbox86.Guest;
using Sandbox86.Server.Envd.Connect;
using Sandbox86.Server.Sandboxes;

namespace Sandbox86.Server.Envd;

/// <summary>One envd request resolved: its sandbox, the user it runs as and that user's home.</summary>
internal sealed record EnvdCall(IRunningSandbox Sandbox, string User, string Home)
{
    public AgentClient Agent => Sandbox.Machine.Agent;

    /// <summary>Relative paths (and <c>~</c>) resolve against the user's home, as on E2B.</summary>
    public string Resolve(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return Home;
        }

        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
        {
            path = Home + path[1..];
        }

        return path.StartsWith('/') ? path : Home.TrimEnd('/') + "/" + path;
    }

    /// <summary>Finds the sandbox, checks the access token, picks the user (Basic auth) or the default.</summary>
    public static async Task<EnvdCall> ResolveAsync(HttpContext context, string? usernameOverride)
    {
        var directory = context.RequestServices.GetService(typeof(ISandboxDirectory)) as ISandboxDirectory
            ?? throw new ConnectException("unavailable", "no sandbox directory is configured");
        var id = context.Request.Headers[EnvdEndpoints.SandboxIdHeader].ToString();
        var lookup = directory.Find(id);
        if (lookup.Status == SandboxLookupStatus.NotFound || lookup.Sandbox is null && lookup.Status == SandboxLookupStatus.Running)
        {
            throw new ConnectException("not_found", $"sandbox '{id}' not found");
        }

        if (lookup.Status == SandboxLookupStatus.NotRunning)
        {
            throw new ConnectException("failed_precondition", $"sandbox '{id}' is not running");
        }

        var sandbox = lookup.Sandbox!;
        if (sandbox.EnvdAccessToken is { } token)
        {
            var given = Encoding.UTF8.GetBytes(context.Request.Headers["X-Access-Token"].ToString());
            if (!CryptographicOperations.FixedTimeEquals(given, Encoding.UTF8.GetBytes(token)))
            {
                throw new ConnectException("unauthenticated", "missing or wrong X-Access-Token");
            }
        }

        var user = usernameOverride is { Length: > 0 } ? usernameOverride : BasicUser(context.Request.Headers.Authorization.ToString());
        if (user is null)
        {
            // Known without an exec for a sandbox fresh from its build once the pool or an earlier create learned it.
            var hasUser = await sandbox.Machine.HasDefaultUserAsync(sandbox.Stopping).ConfigureAwait(false);
            user = hasUser ? Machines.Machine.DefaultUserName : "root";
        }

        if (user.Length > 64 || user.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')))
        {
            throw new ConnectException("invalid_argument", "bad user name");
        }

        var home = user == "root" ? "/root" : "/home/" + user;
        return new EnvdCall(sandbox, user, home);
    }

    private static string? BasicUser(string header)
    {
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            var name = decoded.Split(':', 2)[0];
            return name.Length == 0 ? null : name;
        }
        catch (FormatException)
        {
            throw new ConnectException("invalid_argument", "malformed Basic authorization");
        }
    }
}
