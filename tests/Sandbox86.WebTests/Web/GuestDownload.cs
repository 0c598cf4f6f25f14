using System.Security.Cryptography;
using Sandbox86.WebTests.Infrastructure;

namespace Sandbox86.WebTests.Web;

/// <summary>
/// Typed into a page's terminal: the guest waits for its DHCP lease from the page's relay, then downloads a file from a
/// host loopback server at the relay's gateway (<c>10.0.2.2:PORT</c>, a <c>--host-port</c>) and prints its SHA-256.
/// </summary>
internal static class GuestDownload
{
    public static async Task AssertAsync(SitePage page, int port, byte[] blob, string screenshot)
    {
        // The lease is the relay's: 10.0.2.15, with the relay's gateway as the default route (set by the udhcpc script).
        // The markers are made by sed, so the typed command line itself never holds them.
        await page.TypeLineAsync("for i in $(seq 90); do busybox ip -4 route | grep -q '^default via 10.0.2.2' && break; sleep 1; done; " +
            "busybox ip -4 addr show | grep -o 'inet 10[.0-9]*' | sed 's/^/LEASE-/'");
        await page.WaitForAsync(s => s.Contains("LEASE-inet 10.0.2.15", StringComparison.Ordinal), TimeSpan.FromSeconds(150), "the relay's DHCP lease");

        await page.TypeLineAsync($"busybox wget -q -O - http://10.0.2.2:{port}/blob | sha256sum | sed 's/ .*//; s/^/SHA-/'");
        var screen = await page.WaitForAsync(s => s.Split('\n').Any(l => l.StartsWith("SHA-", StringComparison.Ordinal)), TimeSpan.FromSeconds(150), "the download's hash");
        await page.ScreenshotAsync(screenshot);
        Assert.Contains("SHA-" + Convert.ToHexStringLower(SHA256.HashData(blob)), screen, StringComparison.Ordinal);
    }
}
